import Testing
@_spi(Checker) @testable import RaftCore

/// Leadership transfer (rule 19) and reads (rule 13).
@Suite struct TransferAndReadTests {
    @Test func transferToAnUpToDateFollower() {
        var cluster = Cluster(size: 3) { $0.checkQuorum = true; $0.preVote = true }
        cluster.campaign(1)
        cluster.propose(1, "a")
        try? cluster[1].transferLeader(to: 2)
        cluster.stabilize()
        #expect(cluster[2].raft.role == .leader)
        #expect(cluster[2].raft.term == 2)
        #expect(cluster[1].raft.role == .follower)
        #expect(cluster.delivered.contains { $0.type == .vote && $0.campaignTransfer })
    }

    /// The target is caught up before it is told to campaign, and proposals stop meanwhile.
    @Test func transferToALaggingFollower() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        cluster.isolated = [3]
        for i in 1...3 { cluster.propose(1, "v\(i)") }
        cluster.isolated = []
        try? cluster[1].transferLeader(to: 3)
        #expect(cluster[1].raft.leadTransferee == 3)
        var leader = cluster[1]
        #expect(throws: RaftError.proposalDropped) { try leader.propose(Array("during".utf8)) }
        // TimeoutNow goes out only once node 3 holds the leader's whole log.
        var sawTimeoutNow = false
        for _ in 0..<1000 {
            for id in cluster.ids { cluster.processReady(id) }
            guard let next = cluster.inFlight.first else { break }
            if next.type == .timeoutNow {
                #expect(cluster[3].raft.log.lastIndex == cluster[1].raft.log.lastIndex)
                sawTimeoutNow = true
            }
            cluster.deliver(at: 0)
        }
        #expect(sawTimeoutNow)
        #expect(cluster[3].raft.role == .leader)
        #expect(cluster.appliedData(3) == ["v1", "v2", "v3"])
    }

    @Test func transferIsAbandonedAfterAnElectionTimeout() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        cluster.isolated = [3]
        try? cluster[1].transferLeader(to: 3)
        cluster.stabilize()
        #expect(cluster[1].raft.leadTransferee == 3)
        cluster.tick(1, times: 10)
        #expect(cluster[1].raft.leadTransferee == .none)
        #expect(cluster[1].raft.role == .leader)
        cluster.propose(1, "after")
        #expect(cluster.appliedData(2) == ["after"])
    }

    /// A ReadIndex read is answered only after a heartbeat quorum confirms the leader, with the
    /// commit index at the time of the request.
    @Test func readIndexWaitsForAHeartbeatQuorum() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        cluster.propose(1, "w")
        cluster.isolated = [2, 3]
        try? cluster[1].readIndex(requestContext: 7)
        cluster.stabilize()
        #expect(cluster.readStates[0].isEmpty)
        cluster.isolated = [3]
        cluster[1].tick()
        cluster.stabilize()
        #expect(cluster.readStates[0] == [ReadState(index: cluster[1].raft.log.committed, requestContext: 7)])
    }

    /// A response to the first read's heartbeat round confirms that read only; the mutation
    /// `read-acked-by-earlier-round` lets it confirm a read that came after it, too.
    @Test(arguments: [false, true]) func anAcknowledgementConfirmsOnlyEarlierReads(mutated: Bool) {
        var cluster = Cluster(size: 3) { if mutated { $0.mutations = .readAckedByEarlierRound } }
        cluster.campaign(1)
        cluster.propose(1, "w")
        cluster.isolated = [2, 3]
        try? cluster[1].readIndex(requestContext: 7)  // Round 1.
        cluster.stabilize()
        try? cluster[1].readIndex(requestContext: 8)  // Round 2.
        cluster.stabilize()
        cluster[1].receive(Message(type: .heartbeatResponse, from: 2, to: 1, term: cluster[1].raft.term, context: 1))
        cluster.processReady(1)
        #expect(cluster.readStates[0].map(\.requestContext) == (mutated ? [7, 8] : [7]))
    }

    @Test func followerReadsAreForwarded() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        cluster.propose(1, "w")
        try? cluster[3].readIndex(requestContext: 9)
        cluster.stabilize()
        #expect(cluster.readStates[2] == [ReadState(index: cluster[1].raft.log.committed, requestContext: 9)])
        #expect(cluster[3].raft.log.applied >= cluster.readStates[2][0].index)
    }

    /// Right after a leader change the new leader may not know the last committed write: it
    /// must not answer a read before it commits an entry of its own term (rule 13). With the
    /// `read-index-before-term-commit` mutation it answers at once with a stale index.
    @Test(arguments: [false, true])
    func readRightAfterALeaderChange(mutated: Bool) {
        var cluster = Cluster(size: 3) { if mutated { $0.mutations = .readIndexBeforeTermCommit } }
        cluster.campaign(1)
        // Node 2 receives the write, but never hears that it committed.
        let write = cluster[1].raft.log.lastIndex + 1
        cluster.dropFilter = { $0.type == .append && $0.from == 1 && $0.to == 2 && $0.commit >= write }
        cluster.propose(1, "w")
        #expect(cluster[1].raft.log.committed == write)
        #expect(cluster[2].raft.log.committed < write)
        // Node 1 goes away; node 2 wins, but its first entry does not commit yet.
        cluster.isolated = [1]
        cluster.dropFilter = { $0.type == .appendResponse && $0.from == 3 }
        cluster.campaign(2)
        #expect(cluster[2].raft.role == .leader)
        #expect(!cluster[2].raft.committedEntryInCurrentTerm)
        try? cluster[2].readIndex(requestContext: 1)
        cluster.stabilize()
        if mutated {
            #expect(cluster.readStates[1].map(\.index) == [cluster[2].raft.log.committed])
            #expect(cluster.readStates[1][0].index < write)  // Misses a committed write.
        } else {
            #expect(cluster.readStates[1].isEmpty)
            cluster.dropFilter = nil
            cluster[2].tick()
            cluster.stabilize()
            #expect(cluster.readStates[1].count == 1)
            #expect(cluster.readStates[1][0].index >= write)
        }
    }

    /// A leader that removed itself and leads on (no step-down on removal) is left with a
    /// configuration of one voter, not itself: that voter may already lead a later term, so
    /// the removed leader must not answer reads as if it were a one-node cluster. Found by
    /// fuzzing specs/production-5.yaml (minimized to 15 events on 2 nodes). The mutation
    /// `removed-leader-reads-alone` answers it at once, with an index before the write.
    @Test(arguments: [false, true]) func aRemovedLeaderDoesNotReadAlone(mutated: Bool) {
        var cluster = Cluster(size: 2) { if mutated { $0.mutations = .removedLeaderReadsAlone } }
        cluster.campaign(2)
        MembershipTests.propose(&cluster, 2, ConfChange([ConfChangeSingle(.remove, 2)]))
        #expect(MembershipTests.voters(cluster, 2) == [1])
        #expect(cluster[2].raft.role == .leader)
        // Node 1, now the only voter, takes over in a later term and commits a write.
        cluster.isolated = [2]
        cluster.tick(1, times: 30)
        cluster.stabilize()
        #expect(cluster[1].raft.role == .leader)
        cluster.propose(1, "w")
        try? cluster[2].readIndex(requestContext: 5)
        cluster.stabilize()
        #expect(cluster.readStates[1].map(\.index) == (mutated ? [cluster[2].raft.log.committed] : []))
        #expect(cluster[2].raft.log.committed < cluster[1].raft.log.committed)
    }

    /// A leader that steps down drops the reads it was confirming: its clients retry. With
    /// `reads-survive-step-down` it keeps them, and once it leads again the first quorum of
    /// acknowledgements answers the old read with the old read index, before a write another
    /// leader committed in between.
    @Test(arguments: [false, true]) func readsEndWithLeadership(mutated: Bool) {
        var cluster = Cluster(size: 3) { if mutated { $0.mutations = .readsSurviveStepDown } }
        cluster.campaign(1)
        cluster.propose(1, "w")
        cluster.isolated = [1]
        try? cluster[1].readIndex(requestContext: 7)
        cluster.stabilize()
        #expect(cluster[1].raft.readOnly.pending.count == 1)
        cluster.campaign(2)
        cluster.propose(2, "x")
        let written = cluster[2].raft.log.committed
        cluster.isolated = []
        cluster.tick(2, times: cluster.configs[1].heartbeatTicks)
        cluster.stabilize()
        #expect(cluster[1].raft.role == .follower)
        #expect(cluster[1].raft.readOnly.pending.isEmpty == !mutated)
        cluster.campaign(1)
        cluster.tick(1, times: cluster.configs[0].heartbeatTicks)
        cluster.stabilize()
        #expect(cluster[1].raft.role == .leader)
        let answered = cluster.readStates[0].filter { $0.requestContext == 7 }.map(\.index)
        #expect(answered.count == (mutated ? 1 : 0))
        #expect(answered.allSatisfy { $0 < written })
    }

    @Test func leaseReadsNeedCheckQuorumAndBoundedDrift() {
        var config = testConfig(1)
        config.readOnlyOption = .leaseBased
        #expect(throws: Config.Invalid.leaseWithoutCheckQuorum) { try config.validate() }
        config.checkQuorum = true
        config.maxClockDriftTicks = config.electionTicks / 2
        #expect(throws: Config.Invalid.leaseTooShort) { try config.validate() }
        config.maxClockDriftTicks = 1
        #expect(throws: Never.self) { try config.validate() }
    }

    static func leaseCluster(mutations: Mutation = []) -> Cluster {
        var cluster = Cluster(size: 3) {
            $0.checkQuorum = true; $0.readOnlyOption = .leaseBased; $0.maxClockDriftTicks = 1; $0.mutations = mutations
        }
        cluster.campaign(1)
        cluster.propose(1, "w")
        // A heartbeat round a quorum acknowledged starts the lease.
        cluster.tick(1)
        cluster.stabilize()
        return cluster
    }

    @Test func aLeaseAnswersAtOnceUntilItRunsOut() {
        var cluster = Self.leaseCluster()
        cluster.isolated = [2, 3]
        try? cluster[1].readIndex(requestContext: 3)
        cluster.processReady(1)
        #expect(cluster.readStates[0] == [ReadState(index: cluster[1].raft.log.committed, requestContext: 3)])
        // electionTicks − 2 × drift = 8 ticks after the round was sent, cut off, the lease is out:
        // the next read waits (the leader has not yet stepped down).
        cluster.tick(1, times: 8)
        try? cluster[1].readIndex(requestContext: 4)
        cluster.processReady(1)
        #expect(cluster[1].raft.role == .leader)
        #expect(cluster.readStates[0].count == 1)
        // Healed, the next acknowledged heartbeat round renews the lease and answers it.
        cluster.isolated = []
        cluster.tick(1)
        cluster.stabilize()
        #expect(cluster.readStates[0].map(\.requestContext) == [3, 4])
    }

    /// The mutation `lease-one-tick-too-long` still answers on the tick the lease runs out.
    @Test func theOneTickTooLongMutationAnswersOnTheLastTick() {
        var cluster = Self.leaseCluster(mutations: .leaseOneTickTooLong)
        cluster.isolated = [2, 3]
        cluster.tick(1, times: 8)
        try? cluster[1].readIndex(requestContext: 4)
        cluster.processReady(1)
        #expect(cluster.readStates[0].map(\.requestContext) == [4])
    }

    /// A follower that acknowledged the leader's round refuses a vote within its election
    /// timeout: the lease counts on it. `vote-ignores-lease` refuses pre-votes only.
    @Test(arguments: [false, true]) func aFollowerInTheLeaseRefusesVotes(mutated: Bool) {
        var cluster = Self.leaseCluster(mutations: mutated ? .voteIgnoresLease : [])
        let term = cluster[2].raft.term
        let last = cluster[3].raft.log
        for type in [MessageType.preVote, .vote] {
            cluster[2].receive(Message(type: type, from: 3, to: 2, term: term + 1, logTerm: last.lastTerm, index: last.lastIndex))
        }
        cluster.processReady(2)
        #expect(cluster[2].raft.term == (mutated ? term + 1 : term))
        #expect(cluster[2].raft.vote == (mutated ? 3 : 1))
    }

    @Test func aLeaderThatSentTimeoutNowServesNoLeaseReads() {
        var cluster = Self.leaseCluster()
        cluster.isolated = [2, 3]  // The TimeoutNow is lost: node 1 stays leader.
        try? cluster[1].transferLeader(to: 2)
        cluster.processReady(1)
        try? cluster[1].readIndex(requestContext: 3)
        cluster.processReady(1)
        #expect(cluster[1].raft.role == .leader)
        #expect(cluster.readStates[0].isEmpty)
    }

    @Test func readsWithoutALeaderAreRefused() {
        var node = makeNode(1)
        #expect(throws: RaftError.readIndexDropped) { try node.readIndex(requestContext: 1) }
    }
}
