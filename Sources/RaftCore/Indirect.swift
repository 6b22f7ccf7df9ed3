/// A value kept behind one shared reference and copied on write: copying its holder retains
/// one object instead of every buffer inside the value. For values that are copied far more
/// often than changed (a snapshot, a configuration), inside types that are copied on every
/// simulated event. Equality and hashing are the value's.
@propertyWrapper
public struct Indirect<Value: Hashable & Sendable>: Hashable, Sendable {
    /// Immutable, so reads borrow the value in place (a `var` in a class is copied, every
    /// buffer inside retained, on each read).
    private final class Box: Sendable {
        let value: Value
        init(_ value: Value) { self.value = value }
    }

    private let box: Box

    public init(wrappedValue: Value) {
        box = Box(wrappedValue)
    }

    /// Read-only: the values held are set once, when their holder is made.
    public var wrappedValue: Value {
        _read { yield box.value }
    }

    public static func == (a: Self, b: Self) -> Bool { a.box === b.box || a.box.value == b.box.value }

    public func hash(into hasher: inout Hasher) { box.value.hash(into: &hasher) }
}
