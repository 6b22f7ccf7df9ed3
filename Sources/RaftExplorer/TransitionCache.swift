/// What random walks learn about transitions, so a walk that takes one again need not
/// fingerprint its successor, nor compute it at all if it is dropped or (with novelty) seen.
///
/// Keyed by the state's canonical form and the action as that form writes it: the state's
/// fingerprint with the relabeling that canonicalized it (`canonicalFingerprint`), and the
/// action relabeled the same way (`encode(_:relabeledBy:into:)`). Every state of the orbit then
/// shares the entries, since a state and its actions relabeled together have the same
/// successors relabeled. An entry holds the successor's fingerprint and its canonicalizing
/// relabeling relative to the state's (so it carries over to another state of the orbit), or
/// that the successor is dropped (none, or outside the bounds).
///
/// A model's transitions are pure functions and fingerprints stand for states (as in the seen
/// set, to within their collision odds), so an entry says what computing would: a walk's result
/// does not depend on what the cache holds, hence not on the worker that walks it.
/// Direct-mapped, a newer entry replacing an older; one per worker, touched by one thread.
final class TransitionCache {
    enum Outcome {
        case dropped
        /// The successor's fingerprint and its relabeling relative to the state's
        /// (`Relabeling.packed`).
        case successor(Fingerprint, relative: UInt64)
    }

    private struct Entry {
        var key = Fingerprint(low: 0)
        var successor = Fingerprint(low: 0)
        var relative: UInt64 = 0
        /// 0: empty; 1: dropped; 2: a successor.
        var kind: UInt8 = 0
    }

    private let entries: UnsafeMutablePointer<Entry>
    /// Where `entries` are (zeroed: all empty).
    private let memory: HugePages
    private let mask: Int
    /// How many lookups found their transition.
    private(set) var hits = 0

    /// Room for 2^`log2Entries` transitions (48 bytes each).
    init(log2Entries: Int) {
        memory = HugePages(bytes: MemoryLayout<Entry>.stride << log2Entries)
        entries = memory.start.bindMemory(to: Entry.self, capacity: 1 << log2Entries)
        mask = (1 << log2Entries) - 1
    }

    /// The key of `action` in a state: the 128-bit XXH3 of the state's fingerprint, the
    /// model's index among the search's variants, and the action relabeled.
    static func key<M: WeightedModel>(_ action: M.Action, model: M, variant: Int, state: Fingerprint, relabeling: Relabeling,
                                      encoder: inout StateEncoder) -> Fingerprint {
        encoder.reset()
        encoder.write(state.low)
        encoder.write(state.high)
        encoder.write(variant)
        model.encode(action, relabeledBy: relabeling, into: &encoder)
        return encoder.hash(.bits128)
    }

    /// What the cache holds for transition `key`, if anything.
    func outcome(of key: Fingerprint) -> Outcome? {
        let entry = entries[Int(truncatingIfNeeded: key.low) & mask]
        guard entry.kind != 0 && entry.key == key else { return nil }
        hits += 1
        return entry.kind == 1 ? .dropped : .successor(entry.successor, relative: entry.relative)
    }

    /// Remembers transition `key`, in place of whatever shared its slot.
    func remember(_ outcome: Outcome, of key: Fingerprint) {
        var entry = Entry(key: key)
        switch outcome {
        case .dropped: entry.kind = 1
        case .successor(let fp, let relative): (entry.successor, entry.relative, entry.kind) = (fp, relative, 2)
        }
        entries[Int(truncatingIfNeeded: key.low) & mask] = entry
    }
}
