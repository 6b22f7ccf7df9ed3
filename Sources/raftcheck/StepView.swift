import RaftCore
import RaftSim

/// What people see of one state of a cluster trace: each node's role, term, vote, log and
/// indexes, the messages in flight, and the event that led there. The HTML view (`show
/// --format html`) and the browser explorer (`explore`) draw the same JSON.
struct StepView: Encodable {
    struct NodeView: Encodable {
        var id: UInt64
        var up: Bool
        /// follower, pre-candidate, candidate, leader; "down" while crashed.
        var role: String
        var term: UInt64
        var vote: UInt64
        var leader: UInt64
        /// The index before the first entry held (the snapshot's), and the terms of the
        /// entries from there (the first is that index's term).
        var logStart: UInt64
        var logTerms: [UInt64]
        var commit: UInt64
        var applied: UInt64
        var voters: [UInt64]
        var learners: [UInt64]
    }

    /// 0: the initial state.
    var step: Int
    /// The event that led here (nil for the initial state).
    var event: String?
    var kind: String?
    var nodes: [NodeView]
    var inFlight: [String]
    /// The first `always` property this state breaks.
    var violation: String?

    init(step: Int, event: Event?, state: ClusterState, model: ClusterModel) {
        self.step = step
        self.event = event.map { "\($0)" }
        kind = event?.kind
        nodes = state.nodes.enumerated().map { slot, sim in
            let id = UInt64(slot + 1)
            guard let node = sim.node else {
                let storage = sim.storage
                let hard = storage.hardState
                return NodeView(id: id, up: false, role: "down", term: hard.term.rawValue, vote: hard.vote.rawValue, leader: 0,
                                logStart: storage.firstIndex.rawValue - 1, logTerms: storage.terms().map(\.rawValue),
                                commit: hard.commit.rawValue, applied: UInt64(sim.applied.count), voters: [], learners: [])
            }
            // What an operator's status shows, plus the log's terms.
            let (status, log) = (node.status, node.raft.log)
            return NodeView(id: id, up: true, role: "\(status.role)", term: status.term.rawValue, vote: status.vote.rawValue,
                            leader: status.leader.rawValue, logStart: log.firstIndex.rawValue - 1, logTerms: log.terms.map(\.rawValue),
                            commit: status.commit.rawValue, applied: status.applied.rawValue,
                            voters: status.configuration.voters.map(\.rawValue), learners: status.configuration.learners.map(\.rawValue))
        }
        inFlight = state.network.map { "n\($0.from.rawValue)→n\($0.to.rawValue) \(Show.label($0))" }
        violation = model.violation(in: state)
    }
}
