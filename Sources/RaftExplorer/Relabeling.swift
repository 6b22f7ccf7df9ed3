/// A permutation of a model's nodes (symmetry reduction): node `slot` is written as node
/// `position(of: slot)`. 3 bits per slot, up to 8 nodes.
public struct Relabeling: Equatable, Sendable {
    /// Slot s's position in bits 3s..<3s+3.
    public var packed: UInt64
    public var count: Int

    public init(packed: UInt64, count: Int) {
        precondition(count <= 8, "a relabeling holds at most 8 nodes")
        (self.packed, self.count) = (packed, count)
    }

    public static func identity(_ count: Int) -> Relabeling {
        var packed: UInt64 = 0
        for slot in 0..<count { packed |= UInt64(slot) << (3 * UInt64(slot)) }
        return Relabeling(packed: packed, count: count)
    }

    @inline(__always) public func position(of slot: Int) -> Int { Int((packed >> (3 * UInt64(slot))) & 7) }

    /// This relabeling applied after `first`: slot s goes to `position(of: first.position(of: s))`.
    public func after(_ first: Relabeling) -> Relabeling {
        var packed: UInt64 = 0
        for slot in 0..<first.count { packed |= UInt64(position(of: first.position(of: slot))) << (3 * UInt64(slot)) }
        return Relabeling(packed: packed, count: first.count)
    }

    /// The relabeling r with `r.after(first) == self`.
    public func relative(to first: Relabeling) -> Relabeling {
        var packed: UInt64 = 0
        for slot in 0..<first.count { packed |= UInt64(position(of: slot)) << (3 * UInt64(first.position(of: slot))) }
        return Relabeling(packed: packed, count: first.count)
    }
}
