import Testing
@_spi(Checker) @testable import RaftCore

/// Bug-zoo mutations replayed as hand-written scenarios on the core: each one breaks election
/// safety exactly where the real bug did, and the same schedule is safe without it.
@Suite struct MutationScenarioTests {
    /// Delivers the first in-flight message matching `type`, `from` and `to`, then carries out
    /// every node's Ready.
    static func deliver(_ cluster: inout Cluster, _ type: MessageType, _ from: NodeID, _ to: NodeID) {
        guard let at = cluster.inFlight.firstIndex(where: { $0.type == type && $0.from == from && $0.to == to }) else {
            Issue.record("no \(type) \(from)->\(to) in flight")
            return
        }
        cluster.deliver(at: at)
        for id in cluster.ids { cluster.processReady(id) }
    }

    /// etcd#2461 shape: node 2 votes for 1, starts a pre-election, steps down on 1's heartbeat
    /// (same term) and, with the mutation, forgets its vote; after a restart it votes again in
    /// term 2, for node 3.
    @Test(arguments: [false, true])
    func forgetVoteOnStepDown(mutated: Bool) {
        var cluster = Cluster(size: 3) { config in
            config.preVote = true
            if mutated { config.mutations = .forgetVoteOnStepDown }
        }
        cluster[1].campaign()
        cluster.processReady(1)
        Self.deliver(&cluster, .preVote, 1, 2)
        Self.deliver(&cluster, .preVoteResponse, 2, 1)
        Self.deliver(&cluster, .vote, 1, 2)
        Self.deliver(&cluster, .voteResponse, 2, 1)
        #expect(cluster[1].raft.role == .leader)
        cluster[2].campaign()  // A pre-election: the term stays 2.
        cluster.processReady(2)
        cluster[1].tick()
        cluster.processReady(1)
        Self.deliver(&cluster, .heartbeat, 1, 2)
        cluster.crashAndRestart(2)
        cluster[3].campaign()
        cluster.processReady(3)
        Self.deliver(&cluster, .preVote, 3, 2)
        guard mutated else {
            // Node 2 still holds its vote for 1 in term 2: node 3's pre-election fails.
            #expect(cluster.inFlight.contains { $0.type == .preVoteResponse && $0.from == 2 && $0.to == 3 && $0.reject })
            return
        }
        Self.deliver(&cluster, .preVoteResponse, 2, 3)
        Self.deliver(&cluster, .vote, 3, 2)
        Self.deliver(&cluster, .voteResponse, 2, 3)
        #expect(cluster[3].raft.role == .leader && cluster[3].raft.term == cluster[1].raft.term)
        #expect(!cluster.electionSafetyViolations.isEmpty)
    }
}
