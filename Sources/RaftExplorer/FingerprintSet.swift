/// A set of fingerprints: open addressing with linear probing over raw words, one word per
/// 64-bit fingerprint (two per 128-bit), grown at 3/4 load. No per-entry allocation.
///
/// Concurrency: any number of threads may call `contains` at once while nobody inserts; inserts
/// are single-threaded. The explorer's level-synchronous search keeps to that.
public final class FingerprintSet: @unchecked Sendable {
    public let width: HashWidth
    private var words: UnsafeMutablePointer<UInt64>
    /// Slots (a power of two); each holds one fingerprint.
    public private(set) var capacity: Int
    public private(set) var count = 0

    private var wordsPerSlot: Int { width == .bits64 ? 1 : 2 }

    public init(width: HashWidth, initialCapacity: Int = 1 << 16) {
        self.width = width
        var capacity = 16
        while capacity < initialCapacity { capacity <<= 1 }
        self.capacity = capacity
        let n = capacity * (width == .bits64 ? 1 : 2)
        words = .allocate(capacity: n)
        words.initialize(repeating: 0, count: n)
    }

    /// A set restored from a checkpoint: `fill` writes the table's words (`withWords`).
    init(width: HashWidth, capacity: Int, count: Int, fill: (UnsafeMutableRawBufferPointer) throws -> Void) throws {
        precondition(capacity > 0 && capacity & (capacity - 1) == 0, "capacity must be a power of two")
        (self.width, self.capacity, self.count) = (width, capacity, count)
        let n = capacity * (width == .bits64 ? 1 : 2)
        words = .allocate(capacity: n)
        words.initialize(repeating: 0, count: n)
        try fill(UnsafeMutableRawBufferPointer(start: words, count: n * 8))
    }

    deinit { words.deallocate() }

    /// The table as it is in memory (for a checkpoint).
    func withWords<R>(_ body: (UnsafeRawBufferPointer) throws -> R) rethrows -> R {
        try body(UnsafeRawBufferPointer(start: words, count: capacity * wordsPerSlot * 8))
    }

    /// Memory held by the table.
    public var bytes: Int { capacity * wordsPerSlot * 8 }

    @inline(__always)
    private func find(_ fp: Fingerprint) -> (slot: Int, found: Bool) {
        let mask = capacity - 1
        var slot = Int(truncatingIfNeeded: fp.low) & mask
        if width == .bits64 {
            while true {
                let w = words[slot]
                if w == fp.low { return (slot, true) }
                if w == 0 { return (slot, false) }
                slot = (slot + 1) & mask
            }
        }
        while true {
            let lo = words[2 * slot], hi = words[2 * slot + 1]
            if lo == fp.low && hi == fp.high { return (slot, true) }
            if lo == 0 && hi == 0 { return (slot, false) }
            slot = (slot + 1) & mask
        }
    }

    public func contains(_ fp: Fingerprint) -> Bool { find(fp).found }

    /// Inserts `fp`; returns whether it was new.
    @discardableResult
    public func insert(_ fp: Fingerprint) -> Bool {
        if (count + 1) * 4 > capacity * 3 { grow() }
        let (slot, found) = find(fp)
        if found { return false }
        store(fp, at: slot)
        count += 1
        return true
    }

    private func store(_ fp: Fingerprint, at slot: Int) {
        if width == .bits64 {
            words[slot] = fp.low
        } else {
            words[2 * slot] = fp.low
            words[2 * slot + 1] = fp.high
        }
    }

    private func grow() {
        let old = words, oldCapacity = capacity, per = wordsPerSlot
        capacity <<= 1
        words = .allocate(capacity: capacity * per)
        words.initialize(repeating: 0, count: capacity * per)
        for i in 0..<oldCapacity {
            let fp = per == 1 ? Fingerprint(low: old[i]) : Fingerprint(low: old[2 * i], high: old[2 * i + 1])
            if old[i * per] != 0 || (per == 2 && old[2 * i + 1] != 0) {
                store(fp, at: find(fp).slot)
            }
        }
        old.deallocate()
    }

    /// TLC's optimistic estimate of the probability that two distinct states shared a
    /// fingerprint: distinct × (generated − distinct) / 2^bits.
    public static func collisionProbability(distinct: Int, generated: Int, width: HashWidth) -> Double {
        let space = Double(sign: .plus, exponent: width.rawValue, significand: 1)
        return Double(distinct) * Double(max(generated - distinct, 0)) / space
    }
}
