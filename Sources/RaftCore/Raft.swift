/// Why a step or proposal was refused.
public enum RaftError: Error, Hashable, Sendable {
    /// The proposal was not accepted: no leader known, forwarding disabled, or this node is
    /// not in the configuration. The application may retry.
    case proposalDropped
    /// A local message type (`unreachable`, `snapshotStatus`) arrived through `RawNode.step`.
    case stepLocalMessage
    /// A response arrived from a node this one does not track.
    case stepPeerNotFound
    /// A read was not accepted: no leader known, or an election is under way. Retry.
    case readIndexDropped
}

/// A condition that a correct cluster never produces (etcd panics on them). The core records
/// the first one, skips the operation that met it and goes on, so a checker can report it.
public enum CoreFault: Hashable, Sendable, CustomStringConvertible {
    /// A heartbeat asked to commit past the end of the log: the log was lost or truncated.
    case commitBeyondLastIndex(commit: LogIndex, lastIndex: LogIndex)
    /// An append conflicted with an entry at or below the commit index.
    case conflictAtOrBelowCommit(index: LogIndex, committed: LogIndex)

    public var description: String {
        switch self {
        case let .commitBeyondLastIndex(commit, last): "commit \(commit) is beyond the last index \(last)"
        case let .conflictAtOrBelowCommit(index, committed): "conflicting entry \(index) at or below commit \(committed)"
        }
    }
}

/// The Raft state machine of one node (Ongaro's thesis; etcd-io/raft's shape). A pure value:
/// no clock (time is `tick()`), no I/O (outputs are buffered until `RawNode.ready()`), no
/// global randomness (the election timeout comes from `rng`, part of the state).
///
/// Applications use `RawNode`, which adds the Ready/advance persistence protocol.
public struct Raft<S: Storage> {
    public let id: NodeID
    public internal(set) var term: Term
    /// Whom this node voted for in `term` (`.none`: nobody yet).
    public internal(set) var vote: NodeID
    /// The leader of `term` as far as this node knows.
    public internal(set) var leader: NodeID = .none
    public internal(set) var role: Role = .follower
    public internal(set) var log: RaftLog<S>
    public internal(set) var tracker: ProgressTracker
    /// Messages that may be sent at once.
    public internal(set) var messages: [Message] = []
    /// Messages that MUST NOT be sent before the current unstable entries and hard state are
    /// durable (rule 1), including this node's acknowledgements to itself (rule 2).
    public internal(set) var messagesAfterPersist: [Message] = []
    /// Ticks since the last reset of the election timer (for a leader: since the last
    /// CheckQuorum round).
    public internal(set) var electionElapsed = 0
    public internal(set) var heartbeatElapsed = 0
    /// The current election timeout, in `[electionTicks, 2 × electionTicks)`.
    public internal(set) var randomizedElectionTimeout = 0
    public internal(set) var rng: SplitMix64
    public internal(set) var fault: CoreFault?
    public let options: Config
    /// A leader accepts no configuration change while one up to this index is unapplied (rule 15).
    public internal(set) var pendingConfIndex = LogIndex.zero
    /// The node a leadership transfer is handing over to (`.none`: no transfer).
    public internal(set) var leadTransferee: NodeID = .none
    /// A leader's ReadIndex requests awaiting a heartbeat quorum.
    public internal(set) var readOnly = ReadOnly()
    /// ReadIndex requests that arrived before the leader committed an entry of its term.
    public internal(set) var pendingReadIndexMessages: [Message] = []
    /// Reads ready to be served once the application has applied up to their index.
    public internal(set) var readStates: [ReadState] = []
    /// Lease reads: a leader's ticks in its term; its heartbeats carry the time they were sent.
    public internal(set) var leaseClock: UInt64 = 0
    /// Lease reads: set when this leader sends TimeoutNow. The transferee's campaign overrides
    /// the followers' leader stickiness, so the lease is void for the rest of the term.
    public internal(set) var leaseForfeited = false
    /// Lease reads: a node that has just started refuses votes for an election timeout as if it
    /// had a leader, since it may have acknowledged a leader's lease before it went down. A node
    /// whose stored term is 0 never acknowledged one (acknowledging persists the leader's term).
    public internal(set) var quietSinceStart = false

    /// Loads a node from `storage`: its hard state and configuration.
    public init(config: Config, storage: S) throws(Config.Invalid) {
        try config.validate()
        let (hardState, confState) = storage.initialState()
        id = config.id
        options = config
        log = RaftLog(storage: storage)
        tracker = ProgressTracker(config: TrackerConfig(confState), maxInflight: config.maxInflightMessages)
        tracker.countingMutations = config.mutations.intersection([.quorumOffByOne, .countDuplicateVotes, .jointQuorumIncomingOnly])
        rng = SplitMix64(seed: config.mutations.contains(.correlatedTimeoutStreams)
            ? config.randomSeed ^ (config.id.rawValue &* 0x9E37_79B9_7F4A_7C15) : SplitMix64.mixed(config.randomSeed, config.id.rawValue))
        term = hardState.term
        vote = hardState.vote
        if hardState.commit > log.committed {
            precondition(hardState.commit <= log.lastIndex, "persisted commit \(hardState.commit) beyond last index \(log.lastIndex)")
            log.commitTo(hardState.commit)
        }
        if config.applied > .zero { log.appliedTo(config.applied) }
        becomeFollower(term: term, leader: .none)
        quietSinceStart = config.readOnlyOption == .leaseBased && term > .zero
    }

    public var hardState: HardState { HardState(term: term, vote: vote, commit: log.committed) }

    /// What the application is asked to persist: the hard state, except that the
    /// `term-not-persisted` mutation never writes the term.
    var hardStateToPersist: HardState {
        var state = hardState
        if options.mutations.contains(.termNotPersisted) { state.term = .zero }
        return state
    }
    public var softState: SoftState { SoftState(leader: leader, role: role) }

    /// Whether this node may campaign: it is a voter of the current configuration.
    public var isPromotable: Bool { tracker.progress(of: id) { !$0.isLearner } ?? false }

    // MARK: Role transitions

    /// Moves to `term` (clearing the vote only if the term changes, rule 3) and restarts the
    /// election timer and the progress of every peer.
    mutating func reset(term: Term) {
        if self.term != term {
            self.term = term
            vote = .none
        }
        leader = .none
        electionElapsed = 0
        heartbeatElapsed = 0
        resetRandomizedElectionTimeout()
        leadTransferee = .none
        (leaseClock, leaseForfeited) = (0, false)
        if !options.mutations.contains(.readsSurviveStepDown) { readOnly.dropPending() }
        pendingReadIndexMessages.removeAll()
        tracker.resetVotes()
        let (me, last, inflight) = (id, log.lastIndex, options.maxInflightMessages)
        tracker.updateAll { peer, progress in
            progress = Progress(next: last + 1, inflightCapacity: inflight, isLearner: progress.isLearner)
            if peer == me { progress.match = last }
        }
    }

    mutating func resetRandomizedElectionTimeout() {
        randomizedElectionTimeout = options.electionTicks + Int(rng.next(below: UInt64(options.electionTicks)))
        if options.mutations.contains(.electionTimeoutNotRandomized) { randomizedElectionTimeout = options.electionTicks }
    }

    mutating func becomeFollower(term: Term, leader: NodeID) {
        if options.mutations.contains(.forgetVoteOnStepDown) && term == self.term && role != .follower {
            vote = .none
        }
        reset(term: term)
        self.leader = leader
        role = .follower
    }

    /// Pre-candidates change nothing durable: no new term, no vote (rule 8).
    mutating func becomePreCandidate() {
        precondition(role != .leader, "leader cannot become pre-candidate")
        tracker.resetVotes()
        leader = .none
        role = .preCandidate
    }

    mutating func becomeCandidate() {
        precondition(role != .leader, "leader cannot become candidate")
        reset(term: term + 1)
        vote = id
        role = .candidate
    }

    mutating func becomeLeader() {
        precondition(role == .candidate, "only a candidate becomes leader")
        reset(term: term)
        leader = id
        role = .leader
        tracker.update(id) { $0.becomeReplicate() }
        // Whether or not a change is pending in the log, none is accepted until all is applied.
        pendingConfIndex = log.lastIndex
        // An entry of the new term, so that earlier entries can commit (§5.4.2).
        appendEntries([Entry(term: term, index: .zero)])
    }

    // MARK: Output

    /// Buffers `message` from this node. Responses that depend on durable state wait for the
    /// persist (rule 1); proposals keep term 0, as they are local to whichever node handles them.
    mutating func send(_ message: Message) {
        var message = message
        if message.from == .none { message.from = id }
        switch message.type {
        case .vote, .voteResponse, .preVote, .preVoteResponse:
            precondition(message.term != .zero, "\(message.type) must carry its term")
        case .propose:
            break
        default:
            message.term = term
        }
        let early = options.mutations.contains(.voteBeforePersist)
            && message.type == .voteResponse && message.to != id
        if message.type.needsPersistFirst && !early {
            Self.post(message, to: &messagesAfterPersist, room: tracker.ids.count)
        } else {
            Self.post(message, to: &messages, room: tracker.ids.count)
        }
    }

    /// Appends to an outbox, which an empty one first sizes for a message to every member: a
    /// broadcast into an outbox grown one message at a time would allocate again and again.
    private static func post(_ message: Message, to outbox: inout [Message], room: Int) {
        if outbox.capacity == 0 { outbox.reserveCapacity(room) }
        outbox.append(message)
    }

    mutating func recordFault(_ fault: CoreFault) {
        if self.fault == nil { self.fault = fault }
    }

    // MARK: Time

    /// Advances the logical clock one tick.
    mutating func tick() {
        if role == .leader {
            tickHeartbeat()
        } else {
            tickElection()
        }
    }

    private mutating func tickElection() {
        electionElapsed += 1
        if electionElapsed >= options.electionTicks { quietSinceStart = false }
        if isPromotable && electionElapsed >= randomizedElectionTimeout {
            electionElapsed = 0
            hup(transfer: false)
        }
    }

    private mutating func tickHeartbeat() {
        heartbeatElapsed += 1
        electionElapsed += 1
        if options.readOnlyOption == .leaseBased { leaseClock += 1 }
        if electionElapsed >= options.electionTicks {
            electionElapsed = 0
            if options.checkQuorum { stepLeaderCheckQuorum() }
            // A transfer that did not finish within an election timeout is abandoned (rule 19).
            if role == .leader && !options.mutations.contains(.transferNeverAbandoned) { abandonTransfer() }
        }
        guard role == .leader else { return }
        if heartbeatElapsed >= options.heartbeatTicks {
            heartbeatElapsed = 0
            bcastHeartbeat()
        }
    }
}

extension Raft: Sendable where S: Sendable {}
extension Raft: Equatable where S: Equatable {}
