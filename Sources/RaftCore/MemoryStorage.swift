/// An in-memory `Storage`: a value type, so copying it copies the durable state (copy-on-write).
///
/// Invariant: `log[0]` is a placeholder holding the snapshot's index and term; `log[i]` is the
/// entry at `log[0].index + i`.
public struct MemoryStorage: Storage, Hashable, Sendable {
    public internal(set) var hardState = HardState()
    public internal(set) var latestSnapshot = Snapshot()
    /// The configuration the application last persisted (after applying a change, or from a
    /// snapshot): what a restarted node starts with.
    public internal(set) var confState = ConfState()
    var log: [Entry] = [Entry(term: .zero, index: .zero)]

    public init() {}

    /// A fresh storage that knows `confState` without any log entry: every node of the
    /// explorer's clusters starts this way, all at once. Applications bootstrap with
    /// `init(bootstrapping:)`, whose configuration is in the log, so members added later learn
    /// it by replication.
    @_spi(Checker) public init(confState: ConfState) {
        latestSnapshot = Snapshot(metadata: SnapshotMetadata(confState: confState))
        self.confState = confState
    }

    /// The first nodes of a new cluster: the initial configuration written as committed
    /// configuration changes, one voter added at a time from the empty configuration (index `i`
    /// adds `voters[i - 1]`). Nodes added later start from an empty `MemoryStorage()`, receive
    /// the log from index 1 and so learn the configuration by applying it. Re-applying these
    /// entries on a node that has them is harmless: adding an existing voter changes nothing.
    public init(bootstrapping voters: [NodeID]) {
        let voters = voters.sortedUnique()
        confState = ConfState(voters: voters)
        log += voters.enumerated().map { i, voter in
            var entry = ConfChange([ConfChangeSingle(.addVoter, voter)]).entry
            entry.term = 1
            entry.index = LogIndex(UInt64(i + 1))
            return entry
        }
        hardState = HardState(term: 1, commit: LogIndex(UInt64(voters.count)))
    }

    private var offset: LogIndex { log[0].index }

    public func initialState() -> (HardState, ConfState) { (hardState, confState) }

    public var firstIndex: LogIndex { offset + 1 }
    public var lastIndex: LogIndex { offset + UInt64(log.count - 1) }

    public func entries(from low: LogIndex, to high: LogIndex, maxSize: UInt64) throws(StorageError) -> [Entry] {
        guard low > offset else { throw .compacted }
        guard high <= lastIndex + 1 else { throw .unavailable }
        guard low < high else { return [] }
        let start = Int(low.rawValue - offset.rawValue)
        return limitSize(Array(log[start..<start + low.distance(to: high)]), maxSize)
    }

    public func term(at index: LogIndex) throws(StorageError) -> Term {
        guard index >= offset else { throw .compacted }
        guard index <= lastIndex else { throw .unavailable }
        return log[Int(index.rawValue - offset.rawValue)].term
    }

    public func snapshot() throws(StorageError) -> Snapshot { latestSnapshot }

    /// The entries stored (after the snapshot), for inspection.
    public var storedEntries: ArraySlice<Entry> { log[1...] }

    /// The terms of the entries from `firstIndex - 1` (the snapshot's) through `last` (default
    /// and at most `lastIndex`; below `firstIndex`, the snapshot's term alone), in one pass (a
    /// checker derives them on every state).
    public func terms(through last: LogIndex? = nil) -> [Term] {
        let end = last.map { Int(min($0, lastIndex).rawValue) - Int(offset.rawValue) + 1 } ?? log.count
        return log[..<max(end, 1)].map(\.term)
    }

    /// Whether `terms()` equals `terms`, found without building it.
    public func hasTerms(_ terms: [Term]) -> Bool {
        terms.count == log.count && zip(log, terms).allSatisfy { $0.term == $1 }
    }

    // MARK: Writes (the application's side of the persistence contract)

    public mutating func setHardState(_ state: HardState) {
        hardState = state
    }

    /// Records the configuration returned by `RawNode.applyConfChange`, together with the
    /// state machine that applied it.
    public mutating func setConfState(_ state: ConfState) {
        confState = state
    }

    /// Appends `entries` (consecutive), first dropping any stored entries at or after the first
    /// one's index: a later write overwrites an earlier, conflicting one. Entries already folded
    /// into the snapshot are skipped.
    public mutating func append(_ entries: [Entry]) {
        guard var first = entries.first?.index else { return }
        var entries = entries[...]
        if first <= offset {
            entries = entries.dropFirst(Int(offset.rawValue - first.rawValue + 1))
            guard let next = entries.first?.index else { return }
            first = next
        }
        precondition(first <= lastIndex + 1, "missing log entries [last: \(lastIndex), append at: \(first)]")
        log.removeSubrange(Int(first.rawValue - offset.rawValue)...)
        log.append(contentsOf: entries)
    }

    public enum WriteError: Error, Hashable, Sendable {
        /// The snapshot or compaction point is not newer than what is stored.
        case outOfDate
        /// The index is past the last stored entry.
        case unavailable
    }

    /// Replaces the log with `snapshot`; refuses one older than the stored snapshot.
    public mutating func applySnapshot(_ snapshot: Snapshot) throws(WriteError) {
        guard snapshot.metadata.index > latestSnapshot.metadata.index else { throw .outOfDate }
        latestSnapshot = snapshot
        confState = snapshot.metadata.confState
        log = [Entry(term: snapshot.metadata.term, index: snapshot.metadata.index)]
    }

    /// Records a snapshot of the application's state at `index` (which must be stored and
    /// applied), without compacting the log.
    @discardableResult
    public mutating func createSnapshot(
        at index: LogIndex, confState: ConfState? = nil, data: [UInt8]
    ) throws(WriteError) -> Snapshot {
        guard index > latestSnapshot.metadata.index else { throw .outOfDate }
        guard index <= lastIndex else { throw .unavailable }
        let term = log[Int(index.rawValue - offset.rawValue)].term
        latestSnapshot = Snapshot(
            metadata: SnapshotMetadata(
                index: index, term: term,
                confState: confState ?? self.confState),
            data: data)
        return latestSnapshot
    }

    /// Discards the entries before `index`; `index` becomes the placeholder. The application
    /// MUST NOT compact past what it has applied and snapshotted.
    public mutating func compact(to index: LogIndex) throws(WriteError) {
        guard index > offset else { throw .outOfDate }
        guard index <= lastIndex else { throw .unavailable }
        let cut = Int(index.rawValue - offset.rawValue)
        log[0] = Entry(term: log[cut].term, index: index)
        log.removeSubrange(1...cut)
    }
}
