/// The indexes of appends sent to one follower and not yet acknowledged, oldest first: the
/// flow-control window of a follower in replicate state.
/// Invariant: `indexes` is strictly increasing and holds at most `capacity` entries.
public struct Inflights: Hashable, Sendable {
    public let capacity: Int
    public internal(set) var indexes: [LogIndex] = []

    public init(capacity: Int) {
        precondition(capacity > 0, "inflight capacity must be positive")
        self.capacity = capacity
    }

    public var isFull: Bool { indexes.count >= capacity }
    public var count: Int { indexes.count }

    /// Records an append whose last entry is `index`.
    mutating func add(_ index: LogIndex) {
        precondition(!isFull, "cannot add to a full inflight window")
        precondition(indexes.last.map { $0 < index } ?? true, "inflight \(index) not increasing")
        indexes.append(index)
    }

    /// Frees every append up to and including `index` (it was acknowledged).
    mutating func freeLE(_ index: LogIndex) {
        guard let first = indexes.first, first <= index else { return }
        let n = indexes.firstIndex { $0 > index } ?? indexes.count
        indexes.removeFirst(n)
    }

    mutating func reset() { indexes.removeAll(keepingCapacity: true) }
}

/// The leader's view of one peer's log.
///
/// Invariant: `match < next`. In `.probe` at most one append is outstanding (until a response
/// or heartbeat response unpauses it); in `.replicate` appends stream optimistically within the
/// inflight window; in `.snapshot` nothing is sent until the snapshot is reported.
public struct Progress: Hashable, Sendable {
    public enum State: UInt8, Hashable, Sendable { case probe, replicate, snapshot }

    public internal(set) var match: LogIndex
    public internal(set) var next: LogIndex
    public internal(set) var state: State = .probe
    /// In `.snapshot`: the index of the snapshot being sent.
    public internal(set) var pendingSnapshot: LogIndex = .zero
    /// Heard from since the last CheckQuorum round.
    public internal(set) var recentActive = false
    /// Lease reads: the latest sending time (`Raft.leaseClock + 1`) of a heartbeat this peer
    /// acknowledged in this term; 0 for none.
    public internal(set) var leaseSent: UInt64 = 0
    /// Set when an append was sent in probe state, or the window is full in replicate state.
    public internal(set) var msgAppFlowPaused = false
    public internal(set) var inflights: Inflights
    public internal(set) var isLearner: Bool

    init(next: LogIndex, inflightCapacity: Int, isLearner: Bool) {
        self.match = .zero
        self.next = next
        self.inflights = Inflights(capacity: inflightCapacity)
        self.isLearner = isLearner
    }

    /// Whether sending appends to this peer is currently throttled.
    public var isPaused: Bool {
        switch state {
        case .probe, .replicate: msgAppFlowPaused
        case .snapshot: true
        }
    }

    private mutating func resetState(_ state: State) {
        msgAppFlowPaused = false
        pendingSnapshot = .zero
        self.state = state
        inflights.reset()
    }

    mutating func becomeProbe() {
        let fromSnapshot = state == .snapshot ? pendingSnapshot : .zero
        resetState(.probe)
        next = max(match + 1, fromSnapshot + 1)
    }

    mutating func becomeReplicate() {
        resetState(.replicate)
        next = match + 1
    }

    mutating func becomeSnapshot(_ index: LogIndex) {
        resetState(.snapshot)
        pendingSnapshot = index
    }

    /// Records that an append of `count` entries was sent.
    mutating func sentEntries(_ count: Int) {
        switch state {
        case .replicate:
            if count > 0 {
                next = next + UInt64(count)
                inflights.add(next - 1)
            }
            msgAppFlowPaused = inflights.isFull
        case .probe:
            if count > 0 { msgAppFlowPaused = true }
        case .snapshot:
            preconditionFailure("sending entries in snapshot state")
        }
    }

    /// Records an acknowledgement of `index`; returns whether `match` moved. A stale (lower)
    /// acknowledgement changes nothing but may still raise `next`.
    mutating func maybeUpdate(_ index: LogIndex) -> Bool {
        var updated = false
        if match < index {
            match = index
            updated = true
            msgAppFlowPaused = false
        }
        next = max(next, index + 1)
        return updated
    }

    /// Handles a rejection of the append whose previous index was `rejected`, with the
    /// follower's hint of where its log may match. Returns false for a stale rejection (rule 17):
    /// one at or below `match` (whatever the state: a follower never un-matches an index it
    /// acknowledged, so re-probing it could only loop), or in probe state one that is not for
    /// the outstanding probe.
    mutating func maybeDecrTo(rejected: LogIndex, matchHint: LogIndex) -> Bool {
        guard rejected > match else { return false }
        if state == .replicate {
            next = match + 1
            return true
        }
        guard next - 1 == rejected else { return false }
        next = max(min(rejected, matchHint + 1), match + 1)
        msgAppFlowPaused = false
        return true
    }
}
