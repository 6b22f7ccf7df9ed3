/// A node in the RawNode style: the application drives it (`tick`, `step`, `propose`) and
/// carries out its `Ready`s. A value type: copying a node copies its whole state, storage
/// included, cheaply (copy-on-write arrays).
public struct RawNode<S: Storage> {
    public internal(set) var raft: Raft<S>
    /// The soft state reported by the last Ready (or at start).
    public internal(set) var lastSoftState: SoftState
    /// The hard state handed out by the last advanced Ready (or loaded at start).
    public internal(set) var lastHardState: HardState
    /// A Ready was handed out and not yet advanced.
    public internal(set) var awaitingAdvance = false

    /// Starts (or restarts) a node from `storage`. For a new cluster, the storage holds the
    /// initial configuration (`MemoryStorage(bootstrapping:)`); a member added later starts from
    /// empty storage.
    public init(config: Config, storage: S) throws(Config.Invalid) {
        raft = try Raft(config: config, storage: storage)
        lastSoftState = raft.softState
        lastHardState = raft.hardStateToPersist
    }

    /// The node's durable state. The application writes each Ready's snapshot, entries and
    /// hard state here (step 2) before `advance`.
    public var storage: S {
        _read { yield raft.log.storage }
        _modify { yield &raft.log.storage }
    }

    public var id: NodeID { raft.id }

    /// Advances the logical clock by one tick: elections, heartbeats and CheckQuorum are all
    /// measured in ticks.
    public mutating func tick() { raft.tick() }

    /// Starts an election now (pre-election first with PreVote).
    public mutating func campaign() {
        raft.hup(transfer: false)
    }

    /// Proposes `data` for the log. Throws `.proposalDropped` when no leader can take it; a
    /// proposal that does not throw can still be lost (a leader change), as in every Raft.
    public mutating func propose(_ data: [UInt8]) throws(RaftError) {
        try raft.step(Message(type: .propose, from: raft.id, entries: [Entry(term: .zero, index: .zero, data: data)]))
    }

    /// Proposes a membership change. It takes effect when applied (`applyConfChange`); the
    /// leader turns it into an empty entry if another change is still unapplied, or if the
    /// current configuration does not admit it (entering joint while joint, leaving while not,
    /// removing every voter).
    public mutating func proposeConfChange(_ change: ConfChange) throws(RaftError) {
        try raft.step(Message(type: .propose, from: raft.id, entries: [change.entry]))
    }

    /// Applies a committed membership change; the application calls it while applying the
    /// change's entry, and persists the returned configuration with its state machine. A change
    /// that does not fit the configuration throws and changes nothing, on every node alike.
    public mutating func applyConfChange(_ change: ConfChange) throws(ConfChangeError) -> ConfState {
        try raft.applyConfChange(change)
    }

    /// Asks the leader to hand leadership to `transferee` (forwarded if this node follows).
    public mutating func transferLeader(to transferee: NodeID) throws(RaftError) {
        try raft.step(Message(type: .transferLeader, from: transferee))
    }

    /// Requests a linearizable read; a `ReadState` with `requestContext` appears in a later
    /// Ready. Dropped (throws) while no leader is known; may also be lost with a leader change,
    /// so clients retry after a timeout.
    public mutating func readIndex(requestContext: UInt64) throws(RaftError) {
        try raft.step(Message(type: .readIndex, from: raft.id, context: requestContext))
    }

    /// Reports whether sending a snapshot to `peer` finished or failed.
    public mutating func reportSnapshot(to peer: NodeID, failed: Bool) {
        try? raft.step(Message(type: .snapshotStatus, from: peer, reject: failed))
    }

    /// Reports that the last message to `peer` could not be delivered.
    public mutating func reportUnreachable(_ peer: NodeID) {
        try? raft.step(Message(type: .unreachable, from: peer))
    }

    /// Delivers a message from a peer. Local message types are refused, and so are responses
    /// from nodes this one does not track.
    public mutating func step(_ message: Message) throws(RaftError) {
        if message.type.isLocal { throw .stepLocalMessage }
        let isResponse: Bool = switch message.type {
        case .appendResponse, .heartbeatResponse, .voteResponse, .preVoteResponse: true
        default: false
        }
        if isResponse && !raft.tracker.tracks(message.from) { throw .stepPeerNotFound }
        try raft.step(message)
    }

    /// Whether there is anything for the application to do. False while a Ready awaits `advance`.
    public var hasReady: Bool {
        guard !awaitingAdvance else { return false }
        return raft.softState != lastSoftState
            || raft.hardStateToPersist != lastHardState
            || !raft.readStates.isEmpty
            || raft.log.unstableSnapshot != nil
            || !raft.log.unstableEntries.isEmpty
            || !raft.messages.isEmpty
            || !raft.messagesAfterPersist.isEmpty
            || raft.log.hasNextCommittedEntries
    }

    /// Hands out the work to do. The caller MUST carry it out in the order `Ready` documents
    /// and call `advance(_:)` before asking for the next one. The node may take input
    /// meanwhile; what that changes comes out in the next Ready.
    public mutating func ready() -> Ready {
        precondition(!awaitingAdvance, "ready() called again before advance()")
        var rd = Ready()
        let soft = raft.softState
        if soft != lastSoftState {
            rd.softState = soft
            lastSoftState = soft
        }
        let hard = raft.hardStateToPersist
        if hard != lastHardState { rd.hardState = hard }
        rd.entries = raft.log.unstableEntries
        rd.snapshot = raft.log.unstableSnapshot
        rd.committedEntries = raft.log.nextCommittedEntries(maxSize: raft.options.maxCommittedSizePerReady)
        if let last = rd.committedEntries.last { raft.log.applyingTo(last.index) }
        rd.messages = raft.messages
        raft.messages.removeAll()
        rd.readStates = raft.readStates
        raft.readStates.removeAll()
        let me = raft.id
        if raft.messagesAfterPersist.contains(where: { $0.to == me }) {
            rd.selfMessages = raft.messagesAfterPersist.filter { $0.to == me }
            rd.messagesAfterPersist = raft.messagesAfterPersist.filter { $0.to != me }
        } else {
            rd.messagesAfterPersist = raft.messagesAfterPersist  // Handed over whole, not copied.
        }
        raft.messagesAfterPersist.removeAll()
        rd.mustSync = !rd.entries.isEmpty || hard.term != lastHardState.term || hard.vote != lastHardState.vote
        awaitingAdvance = true
        return rd
    }

    /// Acknowledges that `rd` was carried out: its writes are durable and its committed entries
    /// applied. Steps the node's own acknowledgements, which may commit entries or win an
    /// election (then `hasReady` turns true again).
    public mutating func advance(_ rd: Ready) {
        advance(rd, applied: true)
    }

    /// Acknowledges `rd`'s writes (steps 1-3) but not its committed entries: the application
    /// applies those on its own time and reports them with `advanceApply(to:)`. Meanwhile the
    /// node takes input as usual, hands each committed entry out once, and counts the entries
    /// handed out as not yet applied (no campaign while a configuration change among them is
    /// unapplied, no second change proposed).
    public mutating func advanceAppend(_ rd: Ready) {
        advance(rd, applied: false)
    }

    /// Reports that the application applied every committed entry through `index` (handed out
    /// by earlier Readies, in order).
    public mutating func advanceApply(to index: LogIndex) {
        precondition(index <= raft.log.applying, "applied \(index) was never handed out (last: \(raft.log.applying))")
        raft.appliedTo(index)
    }

    private mutating func advance(_ rd: Ready, applied: Bool) {
        precondition(awaitingAdvance, "advance() without ready()")
        awaitingAdvance = false
        if let hard = rd.hardState { lastHardState = hard }
        if let last = rd.entries.last {
            // A write acknowledges the (index, term) it wrote: an entry written over it since
            // stays unstable, to be written by a later Ready.
            let overwrite = raft.options.mutations.contains(.stableToIgnoresTerm)
            let term = overwrite ? (try? raft.log.term(at: last.index)) ?? last.term : last.term
            raft.log.stableTo(index: last.index, term: term)
        }
        if let snapshot = rd.snapshot {
            raft.log.stableSnapshotTo(index: snapshot.metadata.index)
            raft.appliedTo(snapshot.metadata.index)
        }
        if applied, let last = rd.committedEntries.last { raft.appliedTo(last.index) }
        for message in rd.selfMessages {
            // Own acknowledgements are never refused: they carry this node's ID and term.
            try? raft.step(message)
        }
    }
}

extension RawNode: Sendable where S: Sendable {}
extension RawNode: Equatable where S: Equatable {}
