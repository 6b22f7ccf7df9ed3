/// A read the application may serve once it has applied up to `index`: every write committed
/// before the read was requested is at or below `index` (linearizability).
public struct ReadState: Hashable, Sendable {
    public var index: LogIndex
    /// The application's ID for the request, as passed to `RawNode.readIndex(context:)`.
    public var requestContext: UInt64

    public init(index: LogIndex, requestContext: UInt64) {
        self.index = index
        self.requestContext = requestContext
    }
}

/// A leader's ReadIndex requests, each waiting for a heartbeat quorum that proves the leader
/// was still the leader after the request arrived (rule 13).
///
/// Rounds are numbered by the leader's own counter, never by client-supplied contexts, so two
/// requests can never be confused (etcd#20418). A heartbeat carries the latest round; its
/// acknowledgement counts for that round and every earlier one, since it was sent after them.
/// Invariant: `pending` is ordered by strictly increasing `round`.
public struct ReadOnly: Hashable, Sendable {
    public struct Request: Hashable, Sendable {
        public var round: UInt64
        /// The commit index when the request arrived: the read index.
        public var index: LogIndex
        /// Who asked: this node, or a follower that forwarded a read.
        public var from: NodeID
        public var requestContext: UInt64
        /// Voters that acknowledged a heartbeat of this round or a later one, sorted.
        public var acks: [NodeID]
    }

    /// The last round number handed out; only grows.
    public internal(set) var lastRound: UInt64 = 0
    public internal(set) var pending: [Request] = []

    public init() {}

    /// The round to put on a heartbeat: the latest pending one (0 when none waits).
    public var latestPendingRound: UInt64 { pending.last?.round ?? 0 }

    mutating func add(index: LogIndex, from: NodeID, requestContext: UInt64, leader: NodeID) -> UInt64 {
        lastRound += 1
        pending.append(Request(round: lastRound, index: index, from: from, requestContext: requestContext, acks: [leader]))
        return lastRound
    }

    /// Records that `voter` acknowledged a heartbeat of `round`.
    mutating func acknowledge(_ voter: NodeID, round: UInt64) {
        for i in pending.indices where pending[i].round <= round { pending[i].acks.insertSorted(voter) }
    }

    /// Removes and returns the requests confirmed by a quorum, with every earlier one.
    mutating func releaseConfirmed(_ isQuorum: ([NodeID]) -> Bool) -> [Request] {
        guard let last = pending.lastIndex(where: { isQuorum($0.acks) }) else { return [] }
        let released = Array(pending[...last])
        pending.removeFirst(last + 1)
        return released
    }

    /// Forgets every pending request (leadership lost: the clients retry).
    mutating func dropPending() { pending.removeAll() }
}

/// ReadIndex and lease reads (rule 13).
extension Raft {
    /// Whether the commit index is an entry of this leader's term: before that, the leader may
    /// not know everything committed before it took office (§6.4), and must not serve reads.
    var committedEntryInCurrentTerm: Bool {
        (try? log.term(at: log.committed)) == term
    }

    /// A leader answers a ReadIndex request (its own, or forwarded by a follower).
    /// A configuration of one voter answers at once only if that voter is this leader: a leader
    /// that removed itself and leads on must still confirm its leadership with the voters.
    mutating func handleReadIndex(_ m: Message) {
        if tracker.isSingleton && (tracker.voterIDs.first == id || options.mutations.contains(.removedLeaderReadsAlone)) {
            answerRead(index: log.committed, from: m.from, requestContext: m.context)
            return
        }
        guard committedEntryInCurrentTerm || options.mutations.contains(.readIndexBeforeTermCommit) else {
            pendingReadIndexMessages.append(m)
            return
        }
        switch options.readOnlyOption {
        case .safe:
            let round = readOnly.add(index: log.committed, from: m.from, requestContext: m.context, leader: id)
            for peer in tracker.ids where peer != id { sendHeartbeat(to: peer, round: round) }
        case .leaseBased:
            if holdsLease {
                answerRead(index: log.committed, from: m.from, requestContext: m.context)
            } else {
                pendingReadIndexMessages.append(m)  // Until a heartbeat round renews the lease.
            }
        }
    }

    /// Whether this leader's lease holds: a quorum of voters acknowledged a heartbeat sent less
    /// than `leaseTicks` ago (this leader counting as now), and it offered no transfer. Each
    /// voter that acknowledged refuses other candidates for an election timeout of its own
    /// clock, which no drift within the bound ends before the lease does.
    var holdsLease: Bool {
        if options.mutations.contains(.leaseTrustsCheckQuorum) { return true }
        let now = leaseClock + 1
        guard !leaseForfeited || options.mutations.contains(.leaseSurvivesTransfer) else { return false }
        let sent = tracker.config.voters.committedIndex { voter in
            voter == id ? LogIndex(now) : tracker.progress(of: voter) { LogIndex($0.leaseSent) }
        }
        let ticks = UInt64(options.leaseTicks) + (options.mutations.contains(.leaseOneTickTooLong) ? 1 : 0)
        return sent.rawValue <= now && now - sent.rawValue < ticks
    }

    /// A heartbeat response under lease reads: the voter heard the heartbeat sent at `sent`.
    mutating func renewLease(from peer: NodeID, sent: UInt64) {
        guard options.readOnlyOption == .leaseBased else { return }
        tracker.update(peer) { $0.leaseSent = max($0.leaseSent, sent) }
        releasePendingReadIndexMessages()
    }

    /// A heartbeat response acknowledging `round` may confirm waiting reads.
    mutating func acknowledgeReadRound(from peer: NodeID, round: UInt64) {
        guard round > 0, options.readOnlyOption == .safe else { return }
        // The mutation counts the acknowledgement for every waiting read, later rounds' too.
        readOnly.acknowledge(peer, round: options.mutations.contains(.readAckedByEarlierRound) ? .max : round)
        let voters = tracker.config.voters
        let offByOne = tracker.countingMutations.contains(.quorumOffByOne)
        let confirmed = readOnly.releaseConfirmed { acks in
            voters.voteResult(offByOne: offByOne) { acks.contains($0) ? true : nil } == .won
        }
        for request in confirmed {
            answerRead(index: request.index, from: request.from, requestContext: request.requestContext)
        }
    }

    /// Requests held until the first commit of the term are answered once it happens.
    mutating func releasePendingReadIndexMessages() {
        guard !pendingReadIndexMessages.isEmpty, committedEntryInCurrentTerm else { return }
        let held = options.mutations.contains(.heldReadsNeverAnswered) ? [] : pendingReadIndexMessages
        pendingReadIndexMessages.removeAll()
        for m in held { handleReadIndex(m) }
    }

    private mutating func answerRead(index: LogIndex, from: NodeID, requestContext: UInt64) {
        if from == id || from == .none {
            readStates.append(ReadState(index: index, requestContext: requestContext))
        } else {
            send(Message(type: .readIndexResponse, to: from, index: index, context: requestContext))
        }
    }
}
