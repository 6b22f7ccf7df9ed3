/// The explorer's 64-bit mixing functions, in one place. Fixed, never seeded at random: seeds,
/// walks and fingerprints come out the same in every process and on every machine.
public enum Mix {
    /// SplitMix64's step (Steele, Lea, Flood 2014): advances `state` by the golden-ratio
    /// increment and returns the mixed result. Seeds the walks' generator.
    @inlinable
    public static func splitMix64(_ state: inout UInt64) -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// Word `w` mixed into hash `h`: for hashing the elements of a set or bag one by one,
    /// before they are sorted into a canonical order.
    @inlinable
    public static func combine(_ h: UInt64, _ w: UInt64) -> UInt64 {
        var x = (h ^ w) &* 0x9E37_79B9_7F4A_7C15
        x ^= x >> 32
        x = x &* 0xD6E8_FEB8_6659_FD93
        return x ^ (x >> 32)
    }

    /// A one-round finalizer in the style of MurmurHash3's: every input bit reaches the
    /// high output bits. Derives independent seeds from a campaign's seed.
    @inlinable
    public static func finalize(_ x: UInt64) -> UInt64 {
        let y = (x ^ (x >> 33)) &* 0xFF51_AFD7_ED55_8CCD
        return y ^ (y >> 33)
    }
}
