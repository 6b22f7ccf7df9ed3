/// A node's view of itself and, on a leader, of every member's replication: for monitoring,
/// admin tools and tests. A snapshot in time, taken by `RawNode.status`.
public struct Status: Hashable, Sendable {
    public var id: NodeID
    public var role: Role
    public var term: Term
    /// The vote cast in `term` (`.none`: none).
    public var vote: NodeID
    /// The leader of `term` as far as this node knows (`.none`: unknown).
    public var leader: NodeID
    public var commit: LogIndex
    public var applied: LogIndex
    public var lastIndex: LogIndex
    /// The configuration in force.
    public var configuration: ConfState
    /// A leader handing over to this node (`.none`: no transfer under way).
    public var leadTransferee: NodeID
    /// On a leader, every member's progress in ID order, the leader included; empty otherwise.
    public var progress: [PeerProgress]

    /// How far a leader has replicated to one member.
    public struct PeerProgress: Hashable, Sendable {
        public var id: NodeID
        /// The highest index known to be in the member's log.
        public var match: LogIndex
        /// The next index to send.
        public var next: LogIndex
        public var state: Progress.State
        public var isLearner: Bool
        /// The member was heard from since the last CheckQuorum round.
        public var recentActive: Bool
    }
}

extension RawNode {
    /// This node's status now.
    public var status: Status {
        let progress = raft.role != .leader ? [] : zip(raft.tracker.ids, raft.tracker.progresses).map { id, p in
            Status.PeerProgress(id: id, match: p.match, next: p.next, state: p.state, isLearner: p.isLearner, recentActive: p.recentActive)
        }.sorted { $0.id < $1.id }
        return Status(id: raft.id, role: raft.role, term: raft.term, vote: raft.vote, leader: raft.leader,
                      commit: raft.log.committed, applied: raft.log.applied, lastIndex: raft.log.lastIndex,
                      configuration: raft.tracker.config.confState, leadTransferee: raft.leadTransferee, progress: progress)
    }
}
