/// The tail of the log that is not yet durable: entries (and possibly an incoming snapshot) the
/// application has been, or will be, told to persist.
///
/// Invariant: `entries[i].index == offset + i`; with a snapshot, `offset == snapshot.index + 1`.
struct Unstable: Hashable, Sendable {
    var snapshot: Snapshot?
    var entries: [Entry] = []
    var offset: LogIndex

    init(offset: LogIndex) { self.offset = offset }

    /// The first index, if an unstable snapshot sets it.
    var firstIndex: LogIndex? { snapshot.map { $0.metadata.index + 1 } }

    /// The last index, if unstable entries or an unstable snapshot set it.
    var lastIndex: LogIndex? {
        if let last = entries.last { return last.index }
        return snapshot?.metadata.index
    }

    /// The term at `index`, if this segment knows it.
    func term(at index: LogIndex) -> Term? {
        if index < offset {
            guard let snapshot, snapshot.metadata.index == index else { return nil }
            return snapshot.metadata.term
        }
        guard let last = lastIndex, index <= last else { return nil }
        return entries[Int(index.rawValue - offset.rawValue)].term
    }

    /// Entries up to (index, term) are durable. Ignored unless the entry at `index` still has
    /// `term`: a write acknowledges exactly what it wrote, never a later overwrite (rule 18).
    mutating func stableTo(index: LogIndex, term: Term) {
        guard index >= offset, self.term(at: index) == term else { return }
        entries.removeFirst(Int(index.rawValue - offset.rawValue) + 1)
        offset = index + 1
    }

    mutating func stableSnapshotTo(index: LogIndex) {
        if snapshot?.metadata.index == index { snapshot = nil }
    }

    mutating func restore(_ snapshot: Snapshot) {
        offset = snapshot.metadata.index + 1
        entries = []
        self.snapshot = snapshot
    }

    /// Appends `newEntries`, replacing any unstable entries at or after the first one's index.
    mutating func truncateAndAppend(_ newEntries: [Entry]) {
        guard let after = newEntries.first?.index else { return }
        if after == offset + UInt64(entries.count) {
            entries.append(contentsOf: newEntries)
        } else if after <= offset {
            // Replaces everything unstable; the stable log is cut at `after` on persist.
            offset = after
            entries = newEntries
        } else {
            entries.removeSubrange(Int(after.rawValue - offset.rawValue)...)
            entries.append(contentsOf: newEntries)
        }
    }

    /// The entries in `[low, high)`; the caller has checked `offset <= low <= high <= last + 1`.
    func slice(_ low: LogIndex, _ high: LogIndex) -> ArraySlice<Entry> {
        entries[Int(low.rawValue - offset.rawValue)..<Int(high.rawValue - offset.rawValue)]
    }
}
