import Testing
@_spi(Checker) @testable import RaftCore

/// Membership changes through the log (rule 15) and learners (rule 16).
@Suite struct MembershipTests {
    /// Nodes `1...size` where only `voters` are bootstrapped with the initial configuration; the
    /// others start empty and learn the configuration from the log, as added nodes do.
    static func cluster(size: Int, voters: [NodeID], configure: (inout Config) -> Void = { _ in }) -> Cluster {
        let ids = (1...size).map { NodeID(UInt64($0)) }
        let configs = ids.map { id -> Config in
            var config = testConfig(id)
            configure(&config)
            return config
        }
        let nodes = configs.map { config in
            try! RawNode(config: config, storage: voters.contains(config.id) ? MemoryStorage(bootstrapping: voters) : MemoryStorage())
        }
        var cluster = Cluster(nodes: nodes, configs: configs)
        cluster.stabilize()  // Apply the bootstrap entries: no campaign while they are unapplied.
        return cluster
    }

    static func propose(_ cluster: inout Cluster, _ leader: NodeID, _ change: ConfChange) {
        do { try cluster[leader].proposeConfChange(change) } catch { Issue.record("conf change refused: \(error)") }
        cluster.stabilize()
    }

    static func voters(_ cluster: Cluster, _ id: NodeID) -> [NodeID] { cluster[id].raft.tracker.config.voters.voters }

    @Test func addingVotersOneAtATime() {
        var cluster = Self.cluster(size: 3, voters: [1])
        cluster.campaign(1)
        #expect(cluster[1].raft.role == .leader)
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.addVoter, 2)]))
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.addVoter, 3)]))
        for id in cluster.ids { #expect(Self.voters(cluster, id) == [1, 2, 3]) }
        #expect(cluster[3].storage.confState.voters == [1, 2, 3])
        // The new voters count: with two of three isolated nothing commits.
        cluster.isolated = [2, 3]
        let before = cluster[1].raft.log.committed
        cluster.propose(1, "x")
        #expect(cluster[1].raft.log.committed == before)
        cluster.isolated = []
        cluster[1].tick()
        cluster.stabilize()
        #expect(cluster[1].raft.log.committed > before)
        #expect(cluster.appliedData(3) == ["x"])
    }

    @Test func learnersReplicateButNeverVoteForCommitOrCampaign() {
        var cluster = Self.cluster(size: 3, voters: [1, 2])
        cluster.campaign(1)
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.addLearner, 3)]))
        #expect(cluster[1].raft.tracker[3]?.isLearner == true)
        cluster.propose(1, "a")
        #expect(cluster.appliedData(3) == ["a"])
        // A learner's acknowledgement does not commit: node 2 away, nothing commits.
        cluster.isolated = [2]
        let committed = cluster[1].raft.log.committed
        cluster.propose(1, "b")
        #expect(cluster[1].raft.log.committed == committed)
        // A learner never campaigns, however long it hears nothing.
        cluster.isolated = [1, 2]
        cluster.tick(3, times: 50)
        cluster.stabilize()
        #expect(cluster[3].raft.role == .follower)
        #expect(cluster[3].raft.term == cluster[1].raft.term)
    }

    /// Rule 16: a learner answers vote requests, so a just-promoted learner can vote before it
    /// has applied its promotion.
    @Test func learnersAnswerVoteRequests() {
        var learner = try! RawNode(config: testConfig(3), storage: MemoryStorage(confState: ConfState(voters: [1, 2], learners: [3])))
        learner.receive(Message(type: .vote, from: 2, to: 3, term: 2, logTerm: 0, index: 0))
        let rd = learner.persistAndAdvance()
        #expect(rd.messagesAfterPersist.contains { $0.type == .voteResponse && !$0.reject && $0.to == 2 })
    }

    @Test func promotingALearner() {
        var cluster = Self.cluster(size: 3, voters: [1, 2])
        cluster.campaign(1)
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.addLearner, 3)]))
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.addVoter, 3)]))
        #expect(Self.voters(cluster, 1) == [1, 2, 3])
        #expect(cluster[3].raft.isPromotable)
        // Now node 3's acknowledgement is what commits without node 2.
        cluster.isolated = [2]
        let committed = cluster[1].raft.log.committed
        cluster.propose(1, "c")
        #expect(cluster[1].raft.log.committed > committed)
    }

    @Test func removingAFollower() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.remove, 3)]))
        #expect(Self.voters(cluster, 1) == [1, 2])
        #expect(cluster[1].raft.tracker[3] == nil)
        #expect(!cluster[3].raft.isPromotable)
        // The removed node never disrupts: it does not campaign.
        cluster.tick(3, times: 50)
        #expect(cluster[3].raft.role == .follower)
    }

    @Test(arguments: [true, false])
    func removingTheLeader(stepDown: Bool) {
        var cluster = Cluster(size: 3) { $0.stepDownOnRemoval = stepDown }
        cluster.campaign(1)
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.remove, 1)]))
        #expect(Self.voters(cluster, 2) == [2, 3])
        #expect(cluster[1].raft.role == (stepDown ? .follower : .leader))
        if !stepDown {
            // Leading on, but no longer a member: it takes no new proposals.
            var removed = cluster[1]
            #expect(throws: RaftError.proposalDropped) { try removed.propose(Array("solo".utf8)) }
            cluster.isolated = [1]
        }
        // The remaining voters elect a leader of their own.
        cluster.tick(2, times: 30)
        cluster.stabilize()
        #expect(cluster[2].raft.role == .leader)
        cluster.propose(2, "after")
        #expect(cluster.appliedData(3).last == "after")
        #expect(cluster.electionSafetyViolations.isEmpty)
    }

    @Test func jointConsensusWithAutoLeave() {
        var cluster = Self.cluster(size: 5, voters: [1, 2, 3])
        cluster.campaign(1)
        // Replace 2 and 3 by 4 and 5 at once: only possible through a joint configuration.
        let change = ConfChange([ConfChangeSingle(.remove, 2), ConfChangeSingle(.remove, 3),
                                 ConfChangeSingle(.addVoter, 4), ConfChangeSingle(.addVoter, 5)])
        Self.propose(&cluster, 1, change)
        // Auto-leave: the leader left the joint configuration by itself once it was applied.
        for id: NodeID in [1, 4, 5] {
            #expect(cluster[id].raft.tracker.config.voters.incoming.voters == [1, 4, 5])
            #expect(!cluster[id].raft.tracker.config.voters.isJoint)
        }
        #expect(cluster.confChangeErrors.isEmpty)
        cluster.propose(1, "new")
        #expect(cluster.appliedData(5) == ["new"])
    }

    /// A leader offering a transfer refuses proposals, its own auto-leave too. Once it gives the
    /// transfer up (an election timeout later) it proposes leaving, though no entry was applied
    /// since; with `auto-leave-only-on-apply` the idle cluster stays joint.
    @Test(arguments: [false, true])
    func autoLeaveAfterAnAbandonedTransfer(mutated: Bool) throws {
        var cluster = Self.cluster(size: 4, voters: [1, 2, 3]) { if mutated { $0.mutations = .autoLeaveOnlyOnApply } }
        cluster.campaign(1)
        cluster.isolated = [2]  // The transfer's target never answers.
        try cluster[1].proposeConfChange(ConfChange([ConfChangeSingle(.remove, 3), ConfChangeSingle(.addVoter, 4)]))
        try cluster[1].transferLeader(to: 2)
        cluster.stabilize()
        #expect(cluster[1].raft.tracker.config.voters.isJoint)
        #expect(cluster[1].raft.leadTransferee == 2)
        cluster.tick(1, times: 10)
        cluster.stabilize()
        #expect(cluster[1].raft.leadTransferee == .none)
        #expect(cluster[1].raft.tracker.config.voters.isJoint == mutated)
        if !mutated { #expect(Self.voters(cluster, 4) == [1, 2, 4]) }
    }

    /// While joint, commit needs both majorities: with node 3 failed, {1, 2} is a majority of
    /// the old {1, 2, 3} but not of the new {1, 4, 5} without 4 or 5.
    @Test func jointTransitionWithAFailedNode() {
        var cluster = Self.cluster(size: 5, voters: [1, 2, 3])
        cluster.campaign(1)
        cluster.isolated = [3]
        let change = ConfChange([ConfChangeSingle(.remove, 2), ConfChangeSingle(.remove, 3),
                                 ConfChangeSingle(.addVoter, 4), ConfChangeSingle(.addVoter, 5)],
                                transition: .jointExplicit)
        Self.propose(&cluster, 1, change)
        #expect(cluster[1].raft.tracker.config.voters.isJoint)
        cluster.isolated = [3, 4, 5]
        let committed = cluster[1].raft.log.committed
        cluster.propose(1, "joint")
        #expect(cluster[1].raft.log.committed == committed)
        cluster.isolated = [3, 5]
        cluster[1].tick()
        cluster.stabilize()
        #expect(cluster[1].raft.log.committed > committed)
        // Leave explicitly; node 3 stays failed and the new configuration does not need it.
        Self.propose(&cluster, 1, .leaveJoint)
        #expect(Self.voters(cluster, 1) == [1, 4, 5])
        cluster.isolated = [2, 3]
        cluster.propose(1, "after")
        #expect(cluster.appliedData(4).last == "after")
    }

    @Test func oneChangeAtATime() {
        var cluster = Self.cluster(size: 4, voters: [1, 2, 3])
        cluster.campaign(1)
        try? cluster[1].proposeConfChange(ConfChange([ConfChangeSingle(.addVoter, 4)]))
        try? cluster[1].proposeConfChange(ConfChange([ConfChangeSingle(.remove, 3)]))
        cluster.stabilize()
        // The second became an empty entry: node 3 is still a voter.
        #expect(Self.voters(cluster, 1) == [1, 2, 3, 4])
        let kinds = ((try? cluster[1].raft.log.entries(from: 4)) ?? []).map(\.kind)  // After the bootstrap.
        #expect(kinds.count { $0 == .confChange } == 1)
        // With the mutation both are accepted.
        var mutated = Self.cluster(size: 4, voters: [1, 2, 3]) { $0.mutations = .twoPendingConfChanges }
        mutated.campaign(1)
        try? mutated[1].proposeConfChange(ConfChange([ConfChangeSingle(.addVoter, 4)]))
        try? mutated[1].proposeConfChange(ConfChange([ConfChangeSingle(.remove, 3)]))
        mutated.stabilize()
        #expect(Self.voters(mutated, 1) == [1, 2, 4])
    }

    /// The leader keeps only changes the configuration in force admits; the others become
    /// empty entries, so no node ever has to refuse a committed change.
    @Test func changesTheConfigurationDoesNotAdmitAreScreened() {
        var cluster = Self.cluster(size: 3, voters: [1, 2, 3])
        cluster.campaign(1)
        func screened(_ change: ConfChange) {
            let last = cluster[1].raft.log.lastIndex
            Self.propose(&cluster, 1, change)
            let kinds = ((try? cluster[1].raft.log.entries(from: last + 1)) ?? []).map(\.kind)
            #expect(kinds == [.normal], "\(change)")
        }
        let removeAll = [ConfChangeSingle(.remove, 1), ConfChangeSingle(.remove, 2), ConfChangeSingle(.remove, 3)]
        screened(ConfChange(removeAll, transition: .jointExplicit))  // No voter left.
        screened(.leaveJoint)  // Not joint.
        #expect(Self.voters(cluster, 2) == [1, 2, 3])
        // Admitted: into a joint configuration, left explicitly; nothing else while joint.
        Self.propose(&cluster, 1, ConfChange([ConfChangeSingle(.addLearner, 3)], transition: .jointExplicit))
        #expect(cluster[2].raft.tracker.config.voters.isJoint)
        screened(ConfChange([ConfChangeSingle(.remove, 2)]))
        Self.propose(&cluster, 1, .leaveJoint)
        #expect(!cluster[2].raft.tracker.config.voters.isJoint)
        #expect(Self.voters(cluster, 2) == [1, 2])
    }

    /// Rule 15: a node with a committed, unapplied configuration change does not campaign.
    @Test func noCampaignWithAnUnappliedChange() {
        var (node, change) = Self.nodeWithUnappliedRemoval()
        node.campaign()
        #expect(node.raft.role == .follower)
        // Once applied (here: it removes this very node), it may no longer campaign at all.
        let rd = node.ready()
        #expect(rd.committedEntries.count == 2)
        let conf = try! node.applyConfChange(ConfChange(encoded: change.data)!)
        node.advance(rd)
        #expect(conf.voters == [1, 3])
        node.campaign()
        #expect(node.raft.role == .follower)
    }

    /// The mutation `campaign-with-unapplied-conf-changes` drops exactly that refusal.
    @Test func unappliedChangeMutationCampaigns() {
        var (node, _) = Self.nodeWithUnappliedRemoval(mutations: .campaignWithUnappliedConfChanges)
        node.campaign()
        #expect(node.raft.role == .candidate && node.raft.term == 2)
    }

    /// Node 2 of voters 1, 2, 3, restarted with its own removal committed (index 2) but not applied.
    static func nodeWithUnappliedRemoval(mutations: Mutation = []) -> (RawNode<MemoryStorage>, Entry) {
        let change = ConfChange([ConfChangeSingle(.remove, 2)]).entry
        var storage = MemoryStorage(confState: ConfState(voters: [1, 2, 3]))
        storage.append([Entry(term: 1, index: 1), Entry(term: 1, index: 2, kind: .confChange, data: change.data)])
        storage.setHardState(HardState(term: 1, commit: 2))
        return (try! RawNode(config: testConfig(2, mutations: mutations), storage: storage), change)
    }

    @Test func invalidChangesAreRefusedAlike() {
        var tracker = ProgressTracker(config: TrackerConfig(ConfState(voters: [1, 2, 3])), maxInflight: 4)
        #expect(throws: ConfChangeError.notJoint) { try tracker.applying(.leaveJoint, lastIndex: 5) }
        #expect(throws: ConfChangeError.removedAllVoters) {
            try tracker.applying(ConfChange([ConfChangeSingle(.remove, 1), ConfChangeSingle(.remove, 2), ConfChangeSingle(.remove, 3)],
                                            transition: .jointExplicit), lastIndex: 5)
        }
        tracker = try! tracker.applying(ConfChange([ConfChangeSingle(.addVoter, 4)], transition: .jointExplicit), lastIndex: 5)
        #expect(tracker.config.voters.isJoint)
        #expect(tracker[4]?.next == 5)
    }

    @Test func confChangeEncodingRoundTrips() {
        var rng = SplitMix64(seed: 7)
        for _ in 0..<200 {
            let changes = (0..<Int(rng.next(below: 6))).map { _ in
                ConfChangeSingle(ConfChangeSingle.Kind(rawValue: UInt8(rng.next(below: 4)))!, NodeID(rng.next(below: 1 << 40)))
            }
            let change = ConfChange(changes, transition: ConfChange.Transition(rawValue: UInt8(rng.next(below: 3)))!)
            #expect(ConfChange(encoded: change.encoded) == change)
        }
        #expect(ConfChange(encoded: []) == nil)
        #expect(ConfChange(encoded: [0, 1, 9]) == nil)
        #expect(ConfChange(encoded: Array("put k v".utf8)) == nil)
    }
}
