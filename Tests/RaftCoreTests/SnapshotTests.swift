import Testing
@_spi(Checker) @testable import RaftCore

/// Snapshots (rule 14): sending when a follower needs compacted entries, restoring, and the
/// races around them.
@Suite struct SnapshotTests {
    /// A 3-node cluster with node 1 leading and `count` values committed everywhere.
    static func cluster(writes count: Int) -> Cluster {
        var cluster = Cluster(size: 3)
        cluster.campaign(1)
        for i in 1...count { cluster.propose(1, "v\(i)") }
        return cluster
    }

    @Test func laggingFollowerIsRestoredFromASnapshotThenReceivesAppends() {
        var cluster = Self.cluster(writes: 2)
        cluster.isolated = [3]
        for i in 3...6 { cluster.propose(1, "v\(i)") }
        cluster.compact(1)
        #expect(cluster[1].raft.log.firstIndex > cluster[3].raft.log.lastIndex + 1)
        cluster.isolated = []
        // The next heartbeat round finds node 3 behind; it can only be served by a snapshot.
        cluster[1].tick()
        cluster.stabilize()
        #expect(cluster.delivered.contains { $0.type == .snapshot && $0.to == 3 })
        #expect(cluster[3].storage.latestSnapshot.metadata.index == cluster[1].storage.latestSnapshot.metadata.index)
        // Appends after the snapshot replicate as usual.
        cluster.propose(1, "v7")
        #expect(cluster[1].raft.tracker[3]?.state == .replicate)
        #expect(cluster[3].raft.log.committed == cluster[1].raft.log.lastIndex)
        #expect(cluster.appliedData(3) == (1...7).map { "v\($0)" })
        #expect(cluster.stateMachineViolations.isEmpty)
    }

    @Test func compactionRacingASlowFollower() {
        var cluster = Self.cluster(writes: 1)
        // Appends to node 3 are in flight when the leader compacts past them.
        try? cluster[1].propose(Array("v2".utf8))
        try? cluster[1].propose(Array("v3".utf8))
        cluster.processReady(1)
        let toThree = cluster.inFlight.filter { $0.to == 3 }
        cluster.inFlight.removeAll { $0.to == 3 }
        cluster.stabilize()
        cluster.compact(1)
        // The slow follower gets the stale appends late, then whatever the leader has now.
        cluster.inFlight.append(contentsOf: toThree)
        cluster.stabilize()
        cluster.propose(1, "v4")
        cluster[1].tick()
        cluster.stabilize()
        #expect(cluster[3].raft.log.committed == cluster[1].raft.log.committed)
        #expect(cluster.appliedData(3) == ["v1", "v2", "v3", "v4"])
        #expect(cluster.stateMachineViolations.isEmpty)
        #expect(cluster.logMatchingViolations().isEmpty)
    }

    @Test func crashWhileInstallingASnapshotRecovers() {
        var cluster = Self.cluster(writes: 1)
        cluster.isolated = [3]
        for i in 2...4 { cluster.propose(1, "v\(i)") }
        cluster.compact(1)
        cluster.isolated = []
        cluster[1].tick()
        // Run until node 3 holds the snapshot, not yet persisted; then it crashes.
        for _ in 0..<50 where cluster[3].raft.log.unstableSnapshot == nil {
            for id in cluster.ids { cluster.processReady(id) }
            while !cluster.inFlight.isEmpty && cluster[3].raft.log.unstableSnapshot == nil { cluster.deliver(at: 0) }
        }
        #expect(cluster[3].raft.log.unstableSnapshot != nil)
        cluster.processReady(3, crash: .beforePersist)
        #expect(cluster[3].storage.latestSnapshot.isEmpty)
        // The transport reports the snapshot sent; the leader probes, learns it was lost, resends.
        cluster[1].reportSnapshot(to: 3, failed: false)
        for _ in 0..<3 {
            cluster[1].tick()
            cluster.stabilize()
            if cluster[1].raft.tracker[3]?.state == .snapshot { cluster[1].reportSnapshot(to: 3, failed: false) }
        }
        #expect(cluster[3].storage.latestSnapshot.metadata.index == cluster[1].storage.latestSnapshot.metadata.index)
        #expect(cluster.appliedData(3) == ["v1", "v2", "v3", "v4"])
    }

    /// Rule 14: a snapshot at or below commit changes nothing; one whose (index, term) is in the
    /// log only fast-forwards commit and keeps the entries after it.
    @Test func snapshotsNeverMoveCommitBackwards() {
        var node = makeNode(2, terms: [1, 1, 1, 1], hardState: HardState(term: 1, commit: 2))
        let conf = ConfState(voters: [1, 2, 3])
        node.receive(Message(type: .snapshot, from: 1, to: 2, term: 1,
                             snapshot: Snapshot(metadata: SnapshotMetadata(index: 1, term: 1, confState: conf))))
        #expect(node.raft.log.committed == 2)
        #expect(node.raft.log.unstableSnapshot == nil)
        node.receive(Message(type: .snapshot, from: 1, to: 2, term: 1,
                             snapshot: Snapshot(metadata: SnapshotMetadata(index: 3, term: 1, confState: conf))))
        #expect(node.raft.log.committed == 3)
        #expect(node.raft.log.lastIndex == 4)
        #expect(node.raft.log.unstableSnapshot == nil)
        let rd = node.persistAndAdvance()
        #expect(rd.messagesAfterPersist.contains { $0.type == .appendResponse && $0.index == 3 })
        // A snapshot past the log replaces it, and the answer names the snapshot's index.
        node.receive(Message(type: .snapshot, from: 1, to: 2, term: 2,
                             snapshot: Snapshot(metadata: SnapshotMetadata(index: 9, term: 2, confState: conf))))
        #expect(node.raft.log.committed == 9)
        #expect(node.raft.log.lastIndex == 9)
        let restored = node.ready()
        #expect(restored.snapshot?.metadata.index == 9)
        #expect(restored.committedEntries.isEmpty)
        #expect(restored.messagesAfterPersist.contains { $0.type == .appendResponse && $0.index == 9 })
        try! node.storage.applySnapshot(restored.snapshot!)
        node.advance(restored)
        #expect(node.raft.log.applied == 9)
    }

    /// A late snapshot at or below commit is ignored even where the log no longer holds its
    /// last entry (compacted past it); `snapshot-below-commit-restored` restores it, and the
    /// node's log and commit go back.
    @Test(arguments: [false, true]) func aLateSnapshotIsIgnoredWhereTheLogIsCompactedPastIt(mutated: Bool) throws {
        var compacted = storage(voters: [1, 2, 3], terms: [1, 1, 1, 1], hardState: HardState(term: 1, commit: 4))
        try compacted.createSnapshot(at: 3, data: [])
        try compacted.compact(to: 3)
        var config = testConfig(2, mutations: mutated ? .snapshotBelowCommitRestored : [])
        config.applied = 3
        var node = try RawNode(config: config, storage: compacted)
        node.receive(Message(type: .snapshot, from: 1, to: 2, term: 1,
                             snapshot: Snapshot(metadata: SnapshotMetadata(index: 2, term: 1, confState: ConfState(voters: [1, 2, 3])))))
        #expect(node.raft.log.committed == (mutated ? 2 : 4))
        #expect(node.raft.log.lastIndex == (mutated ? 2 : 4))
    }

    /// A restored snapshot brings the configuration it carries; `snapshot-keeps-old-config`
    /// keeps the node's own, which still counts a demoted voter.
    @Test(arguments: [false, true]) func aRestoredSnapshotBringsItsConfiguration(mutated: Bool) {
        var node = makeNode(2, terms: [1], testConfig(2, mutations: mutated ? .snapshotKeepsOldConfig : []))
        let conf = ConfState(voters: [1, 2], learners: [3])
        node.receive(Message(type: .snapshot, from: 1, to: 2, term: 1,
                             snapshot: Snapshot(metadata: SnapshotMetadata(index: 5, term: 1, confState: conf))))
        #expect(node.raft.log.committed == 5)
        #expect((node.raft.tracker.config.confState == conf) == !mutated)
        #expect(node.raft.tracker.config.voters.incoming.voters == (mutated ? [1, 2, 3] : [1, 2]))
    }
}
