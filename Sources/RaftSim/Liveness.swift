@_spi(Checker) import RaftCore

/// Where a cluster stands after `stabilize` (`Spec.liveness`): faults have stopped and time runs
/// in fair rounds. A round has two halves: every up node ticks once (in any order; Ready steps
/// go on, nothing is delivered), then the cluster settles: messages are delivered and Readies
/// carried out, in any order, until nothing deliverable or pending is left. No fault, timeout
/// or heartbeat macro-step, membership change or transfer happens after `stabilize`; clients
/// may still propose and read within their bounds.
///
/// Any order of events under these rules is a fair schedule: every message that can arrive
/// arrives within the round it was sent in or the next, and every clock advances at the same
/// rate. So a trace that breaks a liveness property shows a real liveness bug, whichever
/// events a minimizer took out of it.
public struct Calm: Hashable, Sendable {
    /// Rounds finished since faults stopped.
    public var round: UInt16 = 0
    /// In a round's first half, the slots that ticked (bit s: node s + 1).
    public var ticked: UInt8 = 0
    /// Whether the round is in its second half: settling, no ticks.
    public var settling = true
    /// The leader every member it reaches followed at the end of the last round (`.none`:
    /// none), in which term, and since the end of which round.
    public var leader = NodeID.none
    public var leaderTerm = Term.zero
    public var leaderSince: UInt16 = 0
    /// The liveness properties found broken at a round's end.
    public var missed: Missed = []

    public struct Missed: OptionSet, Hashable, Sendable {
        public let rawValue: UInt8
        public init(rawValue: UInt8) { self.rawValue = rawValue }
        /// No leader followed by the end of round `leader_within`, or a change after it; with
        /// CheckQuorum, also a leader left cut off from a quorum.
        public static let leader = Missed(rawValue: 1 << 0)
        /// A member the leader reaches did not hold its log committed `commit_within` rounds on.
        public static let replication = Missed(rawValue: 1 << 1)
        /// The leader refused a client's write `commit_within` rounds on (and past an election
        /// timeout, within which a transfer it offered may hold writes back).
        public static let writes = Missed(rawValue: 1 << 2)
        /// The leader was still in a joint configuration it is to leave on its own
        /// (auto-leave) `commit_within` rounds on.
        public static let jointLeft = Missed(rawValue: 1 << 3)
        /// A read asked of the leader after `stabilize` was still unanswered `commit_within`
        /// rounds on, the leader having led all along.
        public static let reads = Missed(rawValue: 1 << 4)
    }
}

extension ClusterModel {
    /// Whether events of `kind` may happen in a state that stabilized: the listing's one rule
    /// for it, before its usual rules and the round rules of `Calm` (a failed snapshot report,
    /// a fault, is left out too).
    static func allowedWhenCalm(_ kind: EventKind) -> Bool {
        switch kind {
        case .deliver, .tick, .ready, .persist, .announce, .apply, .applyEntries, .reportSnapshot, .propose, .read: true
        default: false
        }
    }

    /// The state after `stabilize`: nodes restarted and the network healed (with
    /// `liveness.heal`), rounds started with the cluster settling.
    func stabilize(_ state: inout ClusterState) {
        guard let liveness = spec.liveness else { return }
        if liveness.heal {
            state.partition = 0
            for slot in state.nodes.indices where !state.nodes[slot].isUp {
                restart(NodeID(UInt64(slot + 1)), &state)
            }
        }
        state.calm = Calm()
    }

    /// After an event in a stabilized state: the round moves to its second half once every up
    /// node ticked, and ends once the cluster is quiet.
    func advanceRound(_ state: inout ClusterState) {
        guard var calm = state.calm, let liveness = spec.liveness else { return }
        let up = state.nodes.indices.reduce(UInt8(0)) { state.nodes[$1].isUp ? $0 | 1 << UInt8($1) : $0 }
        if !calm.settling && calm.ticked & up == up { calm.settling = true }
        if calm.settling && isQuiet(state) {
            // What cannot arrive (to a node down, or across the cut) is lost.
            let before = state
            state.network.removeAll { !before.connected($0.from, $0.to) || up & (1 << UInt8($0.to.rawValue - 1)) == 0 }
            calm.round += 1
            (calm.settling, calm.ticked) = (false, 0)
            judgeRound(&calm, in: state, liveness)
        }
        state.calm = calm
    }

    /// Whether nothing is left to settle: no message that can be delivered, no Ready pending,
    /// no snapshot a leader sent that the application has not reported (a transport reports
    /// each send once it ends, delivered or lost).
    func isQuiet(_ state: ClusterState) -> Bool {
        for slot in state.nodes.indices where state.nodes[slot].isUp {
            if state.nodes[slot].box.pending != nil || state.nodes[slot].view.hasReady { return false }
            if state.nodes[slot].view.role == .leader && state.unreportedSnapshots(sentBy: slot) != 0 { return false }
            if spec.events.asyncApply && state.nodes[slot].box.upNode.raft.log.applying > state.nodes[slot].appliedIndex { return false }
        }
        return !state.network.contains { state.connected($0.from, $0.to) && state[$0.to].isUp }
    }

    /// Records the round's leader and which liveness properties the round's end breaks.
    private func judgeRound(_ calm: inout Calm, in state: ClusterState, _ liveness: Spec.Liveness) {
        // With CheckQuorum a leader cut off from a quorum steps down within two election
        // timeouts of its own ticks, one a round: its check after the cut may still count
        // acknowledgements from before it, the next may not.
        if spec.raft.checkQuorum && Int(calm.round) > max(liveness.leaderWithin, 2 * spec.raft.electionTicks + 1)
            && hasCutOffLeader(state) {
            calm.missed.insert(.leader)
        }
        guard let side = quorumSide(of: state) else {
            // No side holds a quorum: nothing is owed.
            (calm.leader, calm.leaderTerm) = (.none, .zero)
            return
        }
        let followed = followedLeader(in: state, side: side)
        if let (leader, term) = followed {
            if leader != calm.leader || term != calm.leaderTerm { (calm.leader, calm.leaderTerm, calm.leaderSince) = (leader, term, calm.round) }
        } else {
            (calm.leader, calm.leaderTerm) = (.none, .zero)
        }
        if Int(calm.round) > liveness.leaderWithin && (followed == nil || Int(calm.leaderSince) > liveness.leaderWithin) {
            calm.missed.insert(.leader)
        }
        guard followed != nil else { return }
        let led = Int(calm.round) - Int(calm.leaderSince)
        if led >= liveness.commitWithin && !replicated(in: state, leader: calm.leader, side: side) {
            calm.missed.insert(.replication)
        }
        if led >= max(liveness.commitWithin, spec.raft.electionTicks + 1) && !acceptsWrites(state[calm.leader].box.upNode) {
            calm.missed.insert(.writes)
        }
        // Auto-leave is only ever set on a joint configuration (`core_invariants`).
        if led >= liveness.commitWithin && state[calm.leader].box.upNode.raft.tracker.config.autoLeave {
            calm.missed.insert(.jointLeft)
        }
        if hasUnansweredRead(in: state, calm, within: liveness.commitWithin) {
            calm.missed.insert(.reads)
        }
    }

    /// Whether a read asked after `stabilize` of `calm.leader` in the term it still leads
    /// (so it led all along: a node leads at most once a term) has waited `rounds` rounds or
    /// more.
    func hasUnansweredRead(in state: ClusterState, _ calm: Calm, within rounds: Int) -> Bool {
        state.reads.contains { read in
            read.round > 0 && read.node == calm.leader && read.term == calm.leaderTerm
                && Int(calm.round) - Int(read.round) >= rounds
        }
    }

    /// Whether `leader` takes a client's write now: asked of a copy, as a client would ask it.
    func acceptsWrites(_ leader: RawNode<MemoryStorage>) -> Bool {
        var copy = leader
        return (try? copy.propose([0])) != nil
    }

    /// Whether a leader is up that cannot reach a quorum of its configuration (the up nodes on
    /// its side of the cut).
    func hasCutOffLeader(_ state: ClusterState) -> Bool {
        for slot in state.nodes.indices where state.nodes[slot].isUp && state.nodes[slot].view.role == .leader {
            let id = NodeID(UInt64(slot + 1))
            let reached = state.nodes.indices.reduce(UInt8(0)) { reached, other in
                state.nodes[other].isUp && state.connected(id, NodeID(UInt64(other + 1))) ? reached | 1 << UInt8(other) : reached
            }
            if !History.Voters(state.nodes[slot].box.upNode.raft.tracker.config).isMajority(of: reached) { return true }
        }
        return false
    }

    /// The up nodes (bit s: node s + 1) of the side of the network that holds a quorum of every
    /// configuration its up nodes know, if one does.
    func quorumSide(of state: ClusterState) -> UInt8? {
        let all = UInt8((1 << state.nodes.count) - 1)
        let sides = state.partition == 0 ? [all] : [state.partition, all & ~state.partition]
        for side in sides {
            let up = (0..<state.nodes.count).reduce(UInt8(0)) { side & (1 << UInt8($1)) != 0 && state.nodes[$1].isUp ? $0 | 1 << UInt8($1) : $0 }
            guard up != 0 else { continue }
            let quorate = (0..<state.nodes.count).allSatisfy { slot in
                up & (1 << UInt8(slot)) == 0 || History.Voters(state.nodes[slot].box.upNode.raft.tracker.config).isMajority(of: up)
            }
            if quorate { return up }
        }
        return nil
    }

    /// The leader on `side` that every member of its configuration on that side follows, in
    /// its term.
    func followedLeader(in state: ClusterState, side: UInt8) -> (NodeID, Term)? {
        for slot in state.nodes.indices where side & (1 << UInt8(slot)) != 0 && state.nodes[slot].view.role == .leader {
            let id = NodeID(UInt64(slot + 1))
            let term = state.nodes[slot].box.upNode.raft.term
            let members = Self.members(of: state.nodes[slot].box.upNode.raft.tracker.config) & side
            let followed = (0..<state.nodes.count).allSatisfy { other in
                members & (1 << UInt8(other)) == 0 || other == slot
                    || (state.nodes[other].box.upNode.raft.leader == id && state.nodes[other].box.upNode.raft.term == term)
            }
            if followed { return (id, term) }
        }
        return nil
    }

    /// Whether every member of `leader`'s configuration on `side` has committed the leader's
    /// whole log.
    func replicated(in state: ClusterState, leader: NodeID, side: UInt8) -> Bool {
        let raft = state[leader].box.upNode.raft
        let members = Self.members(of: raft.tracker.config) & side
        let last = raft.log.lastIndex
        return (0..<state.nodes.count).allSatisfy { slot in
            members & (1 << UInt8(slot)) == 0 || state.nodes[slot].box.upNode.raft.log.committed >= last
        }
    }

    /// The voters (either half) and learners of `config`, as a node bitmask.
    static func members(of config: TrackerConfig) -> UInt8 {
        let voters = History.Voters(config)
        return config.learners.reduce(voters.incoming | voters.outgoing) { $0 | 1 << UInt8($1.rawValue - 1) }
    }

    /// Whether a stabilized state is within the rounds a liveness verdict needs (past them a
    /// walk or search stops: every verdict has been given).
    func withinRounds(_ calm: Calm) -> Bool {
        guard let liveness = spec.liveness else { return true }
        return Int(calm.round) <= liveness.leaderWithin + liveness.commitWithin + 1
    }
}
