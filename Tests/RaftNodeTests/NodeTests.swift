import NIOPosix
import Synchronization
import RaftCore
import Testing
@testable import RaftNode

/// Running nodes through their async API, on in-memory stores and the in-memory network,
/// ticking on the real clock (no assertion depends on how long anything takes): an election
/// seen on the leadership stream, writes, every read mode, membership changes that bring a new
/// member up from a snapshot, leadership transfer, verifyLeader, and a cut-off leader.
@Suite struct NodeTests {
    final class Cluster: Sendable {
        let network = MemoryNetwork()
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 4)
        let nodes = Mutex<[NodeID: Node<CommandList>]>([:])

        func start(_ id: NodeID, bootstrap: [NodeID]) async throws -> Node<CommandList> {
            var config = Config(id: id)
            // Elections after 30-60 ticks of 5 ms: wide enough that a busy machine does not
            // starve heartbeats into spurious elections.
            (config.electionTicks, config.heartbeatTicks, config.preVote, config.checkQuorum, config.randomSeed) = (30, 2, true, true, id.rawValue)
            let node = try Node(config: config, bootstrap: bootstrap, log: MemoryLogStore(), stable: MemoryStableStore(),
                                snapshots: MemorySnapshotStore(), machine: CommandList(), transport: network.transport(for: id),
                                incarnation: 1, snapshotEvery: 5, tickInterval: .milliseconds(5), clock: ContinuousClock(), on: group.next())
            network.attach(id, node)
            nodes.withLock { $0[id] = node }
            await node.start()
            return node
        }

        func node(_ id: NodeID) -> Node<CommandList> { nodes.withLock { $0[id]! } }

        /// The node that wins an election, as its leadership stream reports it.
        func leader(among ids: [NodeID]) async throws -> Node<CommandList> {
            for _ in 0..<2000 {
                for id in ids where await node(id).isLeader { return node(id) }
                await Task.yield()
                try await Task.sleep(for: .milliseconds(5))
            }
            throw ServerError.notLeader(leader: .none)
        }

        func stop() async {
            for node in nodes.withLock({ Array($0.values) }) { await node.stop() }
        }

        /// After `stop`, once no node is called again: their threads end.
        func shutdown() async { try? await group.shutdownGracefully() }
    }

    static let timeout = Duration.seconds(10)

    /// Runs `body` again while the node knows no leader, or its request was dropped with a
    /// leader change (just after a partition heals, say).
    static func onceALeaderIsKnown<T>(_ body: () async throws -> T) async throws -> T {
        for _ in 0..<500 {
            do { return try await body() } catch ServerError.notLeader(leader: .none), ServerError.dropped { try await Task.sleep(for: .milliseconds(10)) }
        }
        return try await body()
    }

    @Test func clusterThroughTheAPI() async throws {
        let cluster = Cluster()
        var ids: [NodeID] = [1, 2, 3]
        for id in ids { _ = try await cluster.start(id, bootstrap: ids) }
        let leader = try await cluster.leader(among: ids)
        let leaderID = await leader.stats.status.id
        // The leader's stream reports its own election.
        var stream = leader.leadership.makeAsyncIterator()
        var reported: Leadership?
        while let event = await stream.next() { if event.isLeader { reported = event; break } }
        #expect(reported?.leader == leaderID)

        for i in 1...20 { #expect(try await leader.apply(Array("put \(i)".utf8), timeout: Self.timeout) == Array(String(i).utf8)) }
        let follower = cluster.node(ids.first { $0 != leaderID }!)
        await #expect(throws: ServerError.notLeader(leader: leaderID)) { _ = try await follower.apply([1], timeout: Self.timeout) }

        // Reads: default (ReadIndex) on any member and consistent (a barrier) on the leader
        // see every acknowledged write; stale reads see a prefix.
        for id in ids { #expect(try await cluster.node(id).read(.default, timeout: Self.timeout) { $0.commands.count } == 20) }
        #expect(try await leader.read(.consistent, timeout: Self.timeout) { $0.commands.last } == "put 20")
        #expect(try await follower.read(.stale, timeout: Self.timeout) { $0.commands.count } <= 20)
        try await leader.verifyLeader(timeout: Self.timeout)
        await #expect(throws: ServerError.notLeader(leader: leaderID)) { try await follower.verifyLeader(timeout: Self.timeout) }

        // A new member: added as a non-voter, it catches up from a snapshot; then it votes,
        // is demoted, and removed.
        let newcomer = try await cluster.start(4, bootstrap: [])
        try await leader.addNonvoter(4, timeout: Self.timeout)
        #expect(try await Self.onceALeaderIsKnown { try await newcomer.read(.default, timeout: Self.timeout) { $0.commands.count } } == 20)
        try await leader.addVoter(4, timeout: Self.timeout)
        var configuration = await leader.configuration
        #expect(configuration.voters == [1, 2, 3, 4])
        try await leader.demoteVoter(4, timeout: Self.timeout)
        configuration = await leader.configuration
        #expect(configuration.learners == [4])
        try await leader.removeServer(4, timeout: Self.timeout)
        configuration = await leader.configuration
        #expect(configuration.learners.isEmpty && configuration.voters == [1, 2, 3])

        // Leadership moves to the member asked for.
        let target = ids.first { $0 != leaderID }!
        try await leader.transferLeadership(to: target, timeout: Self.timeout)
        let newLeader = cluster.node(target)
        _ = try await cluster.leader(among: [target])
        #expect(try await newLeader.apply(Array("put 21".utf8), timeout: Self.timeout) == Array("21".utf8))

        // A leader cut off: its write cannot commit; it times out with an unknown outcome,
        // and the others elect a leader that goes on.
        cluster.network.isolate(target)
        await #expect(throws: ServerError.timedOut) { _ = try await newLeader.apply(Array("lost?".utf8), timeout: .milliseconds(100)) }
        ids.removeAll { $0 == target }
        let third = try await cluster.leader(among: ids)
        #expect(try await third.apply(Array("put 22".utf8), timeout: Self.timeout) == Array("22".utf8))
        cluster.network.reconnect(target)
        // Back in the cluster, the old leader's reads see the write made without it.
        #expect(try await Self.onceALeaderIsKnown { try await newLeader.read(.default, timeout: Self.timeout) { $0.commands.last } } == "put 22")
        await cluster.stop()
        await #expect(throws: ServerError.stopped("stopped")) { _ = try await third.apply([1], timeout: Self.timeout) }
    }
}
