/// A node's log: the durable part in `storage`, the rest in `unstable`, and the commit and
/// apply cursors.
///
/// Invariants: `applied <= applying <= committed <= lastIndex`; `firstIndex - 1 <= committed`.
public struct RaftLog<S: Storage> {
    public internal(set) var storage: S
    var unstable: Unstable
    /// The highest index known to be committed on a quorum.
    public internal(set) var committed: LogIndex
    /// The highest index the application has applied.
    public internal(set) var applied: LogIndex
    /// The highest index handed to the application to apply (a Ready's `committedEntries`),
    /// applied or not: entries are handed out once.
    public internal(set) var applying: LogIndex

    init(storage: S) {
        let first = storage.firstIndex
        self.storage = storage
        self.unstable = Unstable(offset: storage.lastIndex + 1)
        self.committed = first - 1
        self.applied = first - 1
        self.applying = first - 1
    }

    public var firstIndex: LogIndex { unstable.firstIndex ?? storage.firstIndex }
    public var lastIndex: LogIndex { unstable.lastIndex ?? storage.lastIndex }
    public var lastTerm: Term { (try? term(at: lastIndex)) ?? .zero }

    /// The term of the entry at `index`; the index just before `firstIndex` (the snapshot's) is
    /// answered too.
    public func term(at index: LogIndex) throws(StorageError) -> Term {
        guard index + 1 >= firstIndex else { throw .compacted }
        guard index <= lastIndex else { throw .unavailable }
        if let term = unstable.term(at: index) { return term }
        return try storage.term(at: index)
    }

    public func matchTerm(_ index: LogIndex, _ term: Term) -> Bool {
        (try? self.term(at: index)) == term
    }

    /// Whether a log ending at (`lastIndex`, `lastTerm`) is at least as up to date as this one:
    /// a later last term, or the same last term and at least as long (§5.4.1).
    public func isUpToDate(lastIndex: LogIndex, lastTerm: Term) -> Bool {
        lastTerm > self.lastTerm || (lastTerm == self.lastTerm && lastIndex >= self.lastIndex)
    }

    /// The entries in `[low, high)`, cut to `maxSize` (at least one entry).
    public func entries(from low: LogIndex, to high: LogIndex? = nil, maxSize: UInt64 = .max) throws(StorageError) -> [Entry] {
        let high = high ?? lastIndex + 1
        guard low >= firstIndex else { throw .compacted }
        guard high <= lastIndex + 1 else { throw .unavailable }
        guard low < high else { return [] }
        var result: [Entry] = []
        if low < unstable.offset {
            result = try storage.entries(from: low, to: min(high, unstable.offset), maxSize: maxSize)
            // Storage cut the batch short: the size limit is reached.
            if result.count < low.distance(to: min(high, unstable.offset)) { return result }
        }
        if high > unstable.offset {
            result.append(contentsOf: unstable.slice(max(low, unstable.offset), high))
            return limitSize(result, maxSize)
        }
        return result
    }

    /// The entries not yet durable: the application persists them with the next Ready.
    public var unstableEntries: [Entry] { unstable.entries }

    /// Committed entries not yet handed to the application. Entries that are still unstable
    /// are included: the application persists a Ready's entries before applying.
    func nextCommittedEntries(maxSize: UInt64) -> [Entry] {
        let low = max(applying + 1, firstIndex)
        guard committed >= low else { return [] }
        return (try? entries(from: low, to: committed + 1, maxSize: maxSize)) ?? []
    }

    var hasNextCommittedEntries: Bool { committed > max(applying, firstIndex - 1) }

    // MARK: Conflicts

    /// The index of the first entry of `entries` whose term differs from (or is absent in) this
    /// log, or nil when every entry already matches.
    func findConflict(_ entries: [Entry]) -> LogIndex? {
        entries.first { !matchTerm($0.index, $0.term) }?.index
    }

    /// The last (index, term) at or below `index` whose term is at most `term`: no entry in
    /// between can match a log whose entry at `index` has term `term` (fast backtracking).
    func findConflictByTerm(index: LogIndex, term: Term) -> (index: LogIndex, term: Term) {
        var index = index
        while true {
            guard let t = try? self.term(at: index) else { return (index, .zero) }
            if t <= term || index == .zero { return (index, t) }
            index = index - 1
        }
    }

    // MARK: Writes

    /// Appends `entries` after the current log, overwriting any conflicting suffix. Returns the
    /// new last index. The caller guarantees the first entry lies above `committed`.
    @discardableResult
    mutating func append(_ entries: [Entry]) -> LogIndex {
        guard let first = entries.first else { return lastIndex }
        precondition(first.index > committed, "append at \(first.index) would overwrite committed \(committed)")
        unstable.truncateAndAppend(entries)
        return lastIndex
    }

    mutating func commitTo(_ index: LogIndex) {
        guard index > committed else { return }
        precondition(index <= lastIndex, "commit \(index) beyond last index \(lastIndex)")
        committed = index
    }

    /// Commits `index` if it is above `committed` and its entry is of `term`. Counting replicas
    /// only commits entries of the leader's own term (Figure 8, rule 6).
    mutating func maybeCommit(_ index: LogIndex, term: Term, ignoreTerm: Bool = false) -> Bool {
        guard index > committed, ignoreTerm || matchTerm(index, term) else { return false }
        commitTo(index)
        return true
    }

    mutating func appliedTo(_ index: LogIndex) {
        guard index != .zero else { return }
        precondition(index <= committed && index >= applied, "applied \(index) outside [\(applied), \(committed)]")
        applied = index
        applying = max(applying, index)
    }

    /// Records that the entries through `index` were handed to the application.
    mutating func applyingTo(_ index: LogIndex) {
        precondition(index <= committed && index >= applying, "applying \(index) outside [\(applying), \(committed)]")
        applying = index
    }

    mutating func stableTo(index: LogIndex, term: Term) {
        unstable.stableTo(index: index, term: term)
    }

    mutating func stableSnapshotTo(index: LogIndex) {
        unstable.stableSnapshotTo(index: index)
    }

    /// Replaces the log with `snapshot` (rule 14: the caller has checked it is ahead of commit).
    mutating func restore(_ snapshot: Snapshot) {
        committed = snapshot.metadata.index
        unstable.restore(snapshot)
    }

    /// The latest snapshot: one received and not yet durable, else the storage's.
    public func snapshot() throws(StorageError) -> Snapshot {
        if let snapshot = unstable.snapshot { return snapshot }
        return try storage.snapshot()
    }

    /// Whether a configuration change is committed and not yet applied.
    var hasUnappliedConfChanges: Bool {
        guard applied < committed, let pending = try? entries(from: max(applied + 1, firstIndex), to: committed + 1) else {
            return false
        }
        return pending.contains { $0.kind == .confChange }
    }

    /// A received snapshot not yet durable.
    public var unstableSnapshot: Snapshot? { unstable.snapshot }
}

extension RaftLog: Sendable where S: Sendable {}
extension RaftLog: Equatable where S: Equatable {}

extension RaftLog where S == MemoryStorage {
    /// The terms of the whole log from `firstIndex - 1` through `lastIndex`, in one pass: the
    /// storage's below the unstable entries, theirs above.
    public var terms: [Term] {
        var terms = unstable.snapshot.map { [$0.metadata.term] } ?? storage.terms(through: unstable.offset - 1)
        terms.append(contentsOf: unstable.entries.lazy.map(\.term))
        return terms
    }
}
