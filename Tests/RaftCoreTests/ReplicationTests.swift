import Testing
@_spi(Checker) @testable import RaftCore

/// Rules 4–6 and 17, the Raft paper's Figures 7 and 8, and flow control.
@Suite struct ReplicationTests {
    func append(from: NodeID = 1, to: NodeID = 2, term: Term, prev: LogIndex, prevTerm: Term,
                entries: [(UInt64, UInt64)], commit: LogIndex = 0) -> Message {
        Message(type: .append, from: from, to: to, term: term, logTerm: prevTerm, index: prev,
                entries: entries.map { Entry(term: Term($0.1), index: LogIndex($0.0)) }, commit: commit)
    }

    // Rule 4: never truncate on entries that already match; a conflict at or below commit is fatal.
    @Test func rule4_matchingAppendDoesNotTruncate() {
        var follower = makeNode(2, terms: [1, 1, 1], hardState: HardState(term: 1))
        // A delayed, shorter append whose entries all match.
        follower.receive(append(term: 1, prev: 0, prevTerm: 0, entries: [(1, 1)]))
        #expect(logTerms(follower.raft) == [1, 1, 1])
        let rd = follower.persistAndAdvance()
        #expect(rd.messagesAfterPersist.map(\.index) == [1])
        // A real conflict truncates from the first conflicting index only.
        follower.receive(append(term: 2, prev: 1, prevTerm: 1, entries: [(2, 1), (3, 2)]))
        #expect(logTerms(follower.raft) == [1, 1, 2])
        #expect(follower.raft.fault == nil)

        // An append below the commit index is answered with the commit index, untouched.
        var committed = makeNode(2, terms: [1, 1, 1], hardState: HardState(term: 1, commit: 2))
        committed.receive(append(term: 2, prev: 0, prevTerm: 0, entries: [(1, 1), (2, 2)]))
        #expect(logTerms(committed.raft) == [1, 1, 1])
        #expect(committed.persistAndAdvance().messagesAfterPersist.map { [$0.reject ? 1 : 0, $0.index.rawValue] } == [[0, 2]])
    }

    // Rule 5: a follower commits min(leader commit, last new index); heartbeats carry
    // min(match, committed).
    @Test func rule5_followerCommitIsBoundedByWhatItReceived() {
        var follower = makeNode(2, terms: [1, 1, 1], hardState: HardState(term: 1))
        follower.receive(append(term: 1, prev: 0, prevTerm: 0, entries: [(1, 1)], commit: 3))
        #expect(follower.raft.log.committed == 1, "entries 2 and 3 are not known to match the leader's")

        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        cluster.dropFilter = { $0.type == .append && $0.to == 3 }
        for i in 0..<3 { cluster.propose(1, "v\(i)") }
        #expect(cluster[1].raft.log.committed == 4)
        #expect(cluster[1].raft.tracker[3]?.match == 1)
        cluster.tick(1)
        let heartbeats = cluster[1].ready().messages.filter { $0.type == .heartbeat }
        #expect(heartbeats.map { [$0.to.rawValue, $0.commit.rawValue] } == [[2, 4], [3, 1]])
    }

    /// Figure 8 of the Raft paper, played out on five nodes: S1 (term 4) replicates its term-2
    /// entry at index 2 to a majority but must not commit it by counting; S5 can then win term 5
    /// and overwrite index 2. With the `commitPreviousTerm` mutation S1 commits and applies it,
    /// and S5's overwrite breaks state machine safety.
    func playFigure8(mutations: Mutation) -> Cluster {
        let ids: [NodeID] = [1, 2, 3, 4, 5]
        let logs: [[UInt64]] = [[1, 2], [1, 2], [1], [1], [1, 3]]
        let configs = ids.map { testConfig($0, mutations: mutations, maxSizePerMessage: 0) }
        let nodes = ids.indices.map { i in
            try! RawNode(config: configs[i], storage: storage(voters: ids, terms: logs[i], hardState: HardState(term: 3, commit: 1)))
        }
        var cluster = Cluster(nodes: nodes, configs: configs)
        // (c) S1 wins term 4 with S2–S4 and replicates index 2 to S2 and S3, but no term-4 entry.
        cluster.isolated = [5]
        cluster.dropFilter = { m in m.type == .append && m.to == 4 }
        cluster.rewrite = { m in
            Message(type: m.type, from: m.from, to: m.to, term: m.term, logTerm: m.logTerm, index: m.index,
                    entries: m.entries.filter { $0.term != 4 }, commit: m.commit, snapshot: m.snapshot, reject: m.reject,
                    rejectHint: m.rejectHint, context: m.context, campaignTransfer: m.campaignTransfer)
        }
        cluster.campaign(1)
        #expect(cluster[1].raft.role == .leader && cluster[1].raft.term == 4)
        #expect([1, 2, 3].allSatisfy { logTerms(cluster[$0].raft).prefix(2) == [1, 2] })
        // (d) S1 crashes; S5 wins term 5 (its last term 3 beats 2) and replicates its log.
        #expect(cluster[1].raft.tracker[3]?.match == 2)
        cluster.isolated = [1]
        cluster.dropFilter = nil
        cluster.rewrite = nil
        cluster.campaign(5)
        if cluster[5].raft.role != .leader { cluster.campaign(5) }  // The first try meets term-4 votes.
        #expect(cluster[5].raft.role == .leader)
        try? cluster[5].propose([1])
        cluster.stabilize()
        return cluster
    }

    // Rule 6 and Figure 8: replicas are counted only for entries of the leader's own term.
    @Test func figure8_previousTermEntryIsNotCommittedByCounting() {
        let cluster = playFigure8(mutations: [])
        #expect(cluster.stateMachineViolations.isEmpty)
        #expect([2, 3, 4, 5].allSatisfy { logTerms(cluster[$0].raft).prefix(2) == [1, 3] })
        #expect(cluster.appliedAt[2]?.term == 3)
    }

    @Test func figure8_mutationCommitPreviousTermBreaksStateMachineSafety() {
        let cluster = playFigure8(mutations: .commitPreviousTerm)
        #expect(cluster.appliedAt[2] != nil)
        #expect(!cluster.stateMachineViolations.isEmpty)
    }

    /// Figure 7: whatever a follower's log (a–f), the leader of term 8 brings it to its own.
    @Test(arguments: [
        ("a", [1, 1, 1, 4, 4, 5, 5, 6, 6]),
        ("b", [1, 1, 1, 4]),
        ("c", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6]),
        ("d", [1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7]),
        ("e", [1, 1, 1, 4, 4, 4, 4]),
        ("f", [1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3]),
    ] as [(String, [UInt64])])
    func figure7_followersConvergeToTheLeader(name: String, followerLog: [UInt64]) {
        let leaderLog: [UInt64] = [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]
        let ids: [NodeID] = [1, 2, 3]
        let configs = ids.map { testConfig($0) }
        let nodes = [
            try! RawNode(config: configs[0], storage: storage(voters: ids, terms: leaderLog, hardState: HardState(term: 7))),
            try! RawNode(config: configs[1], storage: storage(voters: ids, terms: followerLog, hardState: HardState(term: 7))),
            try! RawNode(config: configs[2], storage: storage(voters: ids, hardState: HardState(term: 7))),
        ]
        var cluster = Cluster(nodes: nodes, configs: configs)
        cluster.campaign(1)
        #expect(cluster[1].raft.role == .leader && cluster[1].raft.term == 8, "follower \(name)")
        #expect(logTerms(cluster[2].raft) == leaderLog + [8], "follower \(name)")
        #expect(cluster[2].raft.log.committed == 11)
        // Fast backtracking: one rejection per conflicting term at most, not one per index.
        let rejections = cluster.delivered.filter { $0.type == .appendResponse && $0.reject && $0.from == 2 }.count
        #expect(rejections <= 3, "follower \(name): \(rejections) rejections")
    }

    // Rule 17: a stale rejection (at or below match) changes nothing.
    @Test func rule17_staleRejectionIsIgnored() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        for i in 0..<4 { cluster.propose(1, "v\(i)") }
        let before = cluster[1].raft.tracker[2]!
        #expect(before.state == .replicate && before.match == 5)
        var leader = cluster[1]
        leader.receive(Message(type: .appendResponse, from: 2, to: 1, term: 1, logTerm: 1, index: 3, reject: true, rejectHint: 3))
        #expect(leader.raft.tracker[2] == before)
        #expect(!leader.hasReady)
        #expect(before.match < before.next)
    }

    // Rule 17: with a full window whose appends were all lost, a heartbeat response makes the
    // leader send an empty append, and replication recovers.
    @Test func rule17_fullWindowRecoversThroughHeartbeats() {
        var cluster = Cluster(size: 3) { $0.maxInflightMessages = 2; $0.maxSizePerMessage = 0 }
        cluster.campaign(1)
        cluster.dropFilter = { $0.type == .append && $0.to == 3 }
        for i in 0..<5 { cluster.propose(1, "v\(i)") }
        #expect(cluster[1].raft.tracker[3]!.inflights.isFull)
        cluster.dropFilter = nil
        cluster.delivered.removeAll()
        cluster.tick(1)
        cluster.stabilize()
        let toThree = cluster.delivered.filter { $0.type == .append && $0.to == 3 }
        #expect(toThree.first?.entries.isEmpty == true, "the first append after the heartbeat is empty")
        #expect(logTerms(cluster[3].raft) == logTerms(cluster[1].raft))
        #expect(cluster[1].raft.tracker[3]!.match == cluster[1].raft.log.lastIndex)
    }

    @Test func appendsAreBatchedByPayloadSize() {
        var cluster = Cluster(size: 2) { $0.maxSizePerMessage = 25 }
        cluster.campaign(1)
        cluster.dropFilter = { $0.to == 2 }
        for i in 0..<6 { cluster.propose(1, "value-\(i)...") }  // 10 bytes each.
        cluster.dropFilter = nil
        cluster.delivered.removeAll()
        cluster.tick(1)
        cluster.stabilize()
        let batches = cluster.delivered.filter { $0.type == .append && !$0.entries.isEmpty }.map(\.entries.count)
        #expect(batches.allSatisfy { $0 <= 2 })
        #expect(logTerms(cluster[2].raft) == logTerms(cluster[1].raft))
    }

    @Test func proposalsAreForwardedUnlessDisabled() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        try? cluster[2].propose(Array("from-2".utf8))
        let forwarded = cluster[2].ready().messages
        #expect(forwarded.map { [$0.type == .propose, $0.to == 1] } == [[true, true]])

        var strict = Cluster(size: 3) { $0.disableProposalForwarding = true }
        strict.campaign(1)
        #expect(throws: RaftError.proposalDropped) { try strict[2].propose([1]) }
        var candidate = makeNode(1)
        candidate.campaign()
        #expect(throws: RaftError.proposalDropped) { try candidate.propose([1]) }
    }

    @Test func rawNodeRefusesLocalMessagesAndUnknownPeers() {
        var node = makeNode(1)
        #expect(throws: RaftError.stepLocalMessage) { try node.step(Message(type: .unreachable, from: 2, to: 1)) }
        #expect(throws: RaftError.stepPeerNotFound) { try node.step(Message(type: .voteResponse, from: 9, to: 1, term: 1)) }
    }

    @Test func restartKeepsOnlyWhatWasPersisted() {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        cluster.propose(1, "durable")
        try? cluster[1].propose(Array("volatile".utf8))
        cluster.processReady(1, crash: .beforePersist)
        #expect(cluster[1].raft.role == .follower)
        #expect(cluster[1].raft.term == 1 && cluster[1].raft.vote == 1)
        #expect(cluster[1].raft.log.lastIndex == 2)
        #expect(cluster[1].raft.log.committed == 2)
    }

    /// A follower takes a new leader's append while the write of an old leader's entry at the
    /// same index is under way (its application steps messages between `ready` and `advance`).
    /// The write's acknowledgement names what it wrote, so the new entry stays unstable and the
    /// next Ready writes it. With `stable-to-ignores-term` the new entry is taken for written:
    /// storage keeps the old one, and the follower holds in memory what it never stored.
    @Test(arguments: [false, true]) func aWriteAcknowledgesWhatItWrote(mutated: Bool) throws {
        var node = makeNode(3, terms: [1], hardState: HardState(term: 1, commit: 1), testConfig(3, mutations: mutated ? .stableToIgnoresTerm : []))
        node.persistAndAdvance()
        node.receive(Message(type: .append, from: 1, to: 3, term: 2, logTerm: 1, index: 1, entries: [Entry(term: 2, index: 2)], commit: 1))
        let underWay = node.ready()
        #expect(underWay.entries == [Entry(term: 2, index: 2)])
        node.receive(Message(type: .append, from: 2, to: 3, term: 3, logTerm: 1, index: 1, entries: [Entry(term: 3, index: 2)], commit: 1))
        node.storage.append(underWay.entries)
        if let hardState = underWay.hardState { node.storage.setHardState(hardState) }
        node.advance(underWay)
        let next = node.persistAndAdvance()
        #expect(next.entries == (mutated ? [] : [Entry(term: 3, index: 2)]))
        #expect(try node.storage.term(at: 2) == (mutated ? 2 : 3))
        #expect(try node.raft.log.term(at: 2) == (mutated ? 2 : 3))
        #expect(next.messagesAfterPersist.contains { $0.type == .appendResponse && $0.to == 2 && $0.index == 2 && !$0.reject })
    }
}

/// The four mutations of part I each change the behaviour they name.
@Suite struct MutationTests {
    @Test func namesRoundTrip() {
        for (name, mutation) in Mutation.named {
            #expect(Mutation(name: name) == mutation)
            #expect(mutation.names == [name])
        }
        #expect(Mutation(name: "no-such-bug") == nil)
    }

    @Test func skipLogUpToDateCheckGrantsStaleCandidates() {
        for (mutations, granted) in [([] as Mutation, false), (.skipLogUpToDateCheck, true)] {
            var voter = makeNode(2, terms: [1, 2], hardState: HardState(term: 2), testConfig(2, mutations: mutations))
            voter.receive(Message(type: .vote, from: 1, to: 2, term: 3, logTerm: 1, index: 1))
            #expect(voter.persistAndAdvance().messagesAfterPersist.first?.reject == !granted)
        }
    }

    @Test func skipPrevLogCheckAppendsOverAMismatch() {
        for (mutations, accepted) in [([] as Mutation, false), (.skipPrevLogCheck, true)] {
            var follower = makeNode(2, terms: [1, 1], hardState: HardState(term: 2), testConfig(2, mutations: mutations))
            follower.receive(Message(type: .append, from: 1, to: 2, term: 2, logTerm: 2, index: 2, entries: [Entry(term: 2, index: 3)]))
            #expect(logTerms(follower.raft) == (accepted ? [1, 1, 2] : [1, 1]))
        }
    }

    /// A voter whose grant left before its write crashes, forgets the vote, and grants it again
    /// in the same term: two leaders of term 1.
    @Test(arguments: [([] as Mutation, false), (.voteBeforePersist, true)])
    func voteBeforePersistBreaksElectionSafetyAcrossACrash(mutations: Mutation, broken: Bool) {
        var cluster = Cluster(size: 3) { $0.mutations = mutations }
        cluster[1].campaign()
        cluster.processReady(1)
        cluster.deliver(at: cluster.inFlight.firstIndex { $0.to == 2 }!)
        cluster.processReady(2, crash: .beforePersist)
        cluster.inFlight.removeAll { $0.to == 3 }
        cluster.dropFilter = { $0.from == 1 && $0.to == 3 }
        cluster.campaign(3)
        cluster.stabilize()
        #expect(cluster.electionSafetyViolations.isEmpty == !broken, "\(cluster.leaders)")
    }

    @Test func voteBeforePersistSendsVotesEarly() {
        var voter = makeNode(2, testConfig(2, mutations: .voteBeforePersist))
        voter.receive(Message(type: .vote, from: 1, to: 2, term: 1))
        let rd = voter.ready()
        #expect(rd.messages.map(\.type) == [.voteResponse])
        #expect(rd.messagesAfterPersist.isEmpty)
    }
}
