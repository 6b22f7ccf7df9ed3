/// A value kept behind one shared reference and copied on write: copying its holder retains
/// one object instead of every buffer inside the value. For values that are copied far more
/// often than changed (a snapshot, a configuration), inside types that are copied on every
/// simulated event. Equality and hashing are the value's.
@propertyWrapper
public struct Indirect<Value: Hashable & Sendable>: Hashable, Sendable {
    private final class Box: @unchecked Sendable {
        // Changed only through a uniquely referenced box (`wrappedValue`'s `_modify`).
        var value: Value
        init(_ value: Value) { self.value = value }
    }

    private var box: Box

    public init(wrappedValue: Value) {
        box = Box(wrappedValue)
    }

    public var wrappedValue: Value {
        get { box.value }
        _modify {
            if !isKnownUniquelyReferenced(&box) { box = Box(box.value) }
            yield &box.value
        }
    }

    public static func == (a: Self, b: Self) -> Bool { a.box === b.box || a.box.value == b.box.value }

    public func hash(into hasher: inout Hasher) { box.value.hash(into: &hasher) }
}
