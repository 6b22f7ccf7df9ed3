/// SplitMix64 (Steele, Lea, Flood 2014): a tiny, float-free generator whose whole state is one
/// word, so it lives inside the node's state and is copied and fingerprinted with it. The same
/// seed gives the same sequence on every platform and toolchain.
public struct SplitMix64: Hashable, Sendable {
    public private(set) var state: UInt64

    public init(seed: UInt64) { state = seed }

    /// A starting state for stream `index` of `seed`, through the generator's own output twice
    /// (the seed, then that with the index), so that the streams are far apart whether nodes
    /// share a seed or are seeded with their IDs. Each step adds the same odd constant to the
    /// state, so states one constant apart, such as `seed ^ id·constant` for IDs 1 and 2, give
    /// one stream one step behind the other; and `seed ^ id` is the same state for every node
    /// seeded with its own ID.
    public static func mixed(_ seed: UInt64, _ index: UInt64) -> UInt64 {
        var first = SplitMix64(seed: seed)
        var second = SplitMix64(seed: first.next() ^ index)
        return second.next()
    }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform value in `0..<bound` (Lemire's multiply-and-reject; no floating point).
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "empty range")
        while true {
            let product = next().multipliedFullWidth(by: bound)
            if product.low >= (0 &- bound) % bound { return product.high }
        }
    }
}
