/// A value kept behind one shared reference and copied on write: copying its holder retains
/// one object instead of every buffer inside the value. For values that are copied far more
/// often than changed (a snapshot, a configuration), inside types that are copied on every
/// simulated event. Equality and hashing are the value's.
@propertyWrapper
public struct Indirect<Value: Hashable & Sendable>: Hashable, Sendable {
    /// Immutable, so reads borrow the value in place (a `var` in a class is copied, every
    /// buffer inside retained, on each read); a change puts the changed value in a new box.
    private final class Box: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    public init(wrappedValue: Value) {
        box = Box(wrappedValue)
    }

    public var wrappedValue: Value {
        _read { yield box.value }
        _modify {
            var value = box.value
            defer { box = Box(value) }  // Also when the access ends by a thrown error.
            yield &value
        }
    }

    public static func == (a: Self, b: Self) -> Bool { a.box === b.box || a.box.value == b.box.value }

    public func hash(into hasher: inout Hasher) { box.value.hash(into: &hasher) }
}
