/// xoshiro256** (Blackman, Vigna 2018), seeded through SplitMix64: the explorer's own
/// float-free generator, so a seed replays the same walk with any toolchain on any machine
/// (the standard library's generator promises no algorithm).
public struct Xoshiro256: Sendable {
    private var s0, s1, s2, s3: UInt64

    public init(seed: UInt64) {
        var x = seed
        s0 = Mix.splitMix64(&x); s1 = Mix.splitMix64(&x); s2 = Mix.splitMix64(&x); s3 = Mix.splitMix64(&x)
    }

    public mutating func next() -> UInt64 {
        let result = ((s1 &* 5) << 7 | (s1 &* 5) >> 57) &* 9
        let t = s1 << 17
        s2 ^= s0; s3 ^= s1; s1 ^= s2; s0 ^= s3
        s2 ^= t
        s3 = s3 << 45 | s3 >> 19
        return result
    }

    /// Uniform in `0..<bound` (multiply-and-reject, no floating point; Lemire 2019: the
    /// rejection threshold, a division, is computed only when a draw comes near it).
    public mutating func next(below bound: UInt64) -> UInt64 {
        precondition(bound > 0, "empty range")
        var product = next().multipliedFullWidth(by: bound)
        // Rejected: the draws below (2^64 mod bound), which is less than `bound`.
        if product.low < bound {
            let threshold = (0 &- bound) % bound
            while product.low < threshold { product = next().multipliedFullWidth(by: bound) }
        }
        return product.high
    }

    /// True with probability `numerator / denominator`.
    public mutating func chance(_ numerator: UInt64, in denominator: UInt64) -> Bool {
        next(below: denominator) < numerator
    }
}

/// The seed of run `index` of a campaign seeded with `seed`: independent streams per run, so a
/// run replays alone and a campaign resumes where it stopped.
public func runSeed(_ seed: UInt64, _ index: Int) -> UInt64 {
    Mix.finalize(seed ^ (UInt64(index) &* 0xD1B5_4A32_D192_ED03))
}
