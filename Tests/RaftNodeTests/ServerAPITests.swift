import RaftCore
import Testing
@testable import RaftNode

/// The server's requests, in process on in-memory stores: writes answered with their result,
/// barriers, membership changes through the API (a new voter catches up from a snapshot), a
/// leadership transfer, reads that see every acknowledged write, and requests that fail.
@Suite struct ServerAPITests {
    final class Cluster {
        var servers: [NodeID: Server] = [:]
        var machines: [NodeID: CommandList] = [:]
        /// Each member's stores, kept across restarts.
        var stores: [NodeID: (log: MemoryLogStore, stable: MemoryStableStore, snapshots: MemorySnapshotStore)] = [:]
        var configs: [NodeID: Config] = [:]
        /// Servers started so far: each start's incarnation.
        var starts: UInt64 = 0
        let network = HeldMessages()
        /// Servers that get no messages and no ticks.
        var down: Set<NodeID> = []

        let snapshotEvery: UInt64?

        init(voters: [NodeID], readOnly: ReadOnlyOption = .safe, snapshotEvery: UInt64? = 5) throws {
            self.snapshotEvery = snapshotEvery
            for id in voters { try add(id, bootstrap: voters, readOnly: readOnly) }
        }

        func add(_ id: NodeID, bootstrap: [NodeID], readOnly: ReadOnlyOption = .safe) throws {
            var config = Config(id: id)
            (config.electionTicks, config.heartbeatTicks, config.preVote, config.checkQuorum, config.randomSeed) = (10, 1, true, true, id.rawValue)
            config.readOnlyOption = readOnly
            (configs[id], stores[id]) = (config, (MemoryLogStore(), MemoryStableStore(), MemorySnapshotStore()))
            try start(id, bootstrap: bootstrap)
        }

        /// Starts (or restarts) `id` from its stores, with a new state machine and incarnation.
        func start(_ id: NodeID, bootstrap: [NodeID] = []) throws {
            let machine = CommandList()
            machines[id] = machine
            starts += 1
            let (log, stable, snapshots) = stores[id]!
            servers[id] = try Server(config: configs[id]!, bootstrap: bootstrap, log: log, stable: stable, snapshots: snapshots,
                                     machine: machine, transport: network, incarnation: starts, snapshotEvery: snapshotEvery)
        }

        struct Endless: Error {}

        /// Every server ticks, then messages are delivered (in order) until none is left; a
        /// round that does not settle within 10,000 deliveries throws.
        func round() throws {
            var deliveries = 0
            for id in servers.keys.sorted() where !down.contains(id) {
                servers[id]!.tick()
                try servers[id]!.process()
            }
            while !network.inFlight.isEmpty {
                let message = network.inFlight.removeFirst()
                deliveries += 1
                if deliveries > 10_000 { throw Endless() }
                let delivered = !down.contains(message.to) && servers[message.to] != nil
                if delivered {
                    servers[message.to]!.receive(message)
                    try servers[message.to]!.process()
                }
                if message.type == .snapshot { servers[message.from]?.reportSnapshot(to: message.to, failed: !delivered) }
            }
        }

        /// Rounds until `done` holds; false if it did not within `limit` rounds.
        func run(limit: Int = 200, until done: () -> Bool) throws -> Bool {
            for _ in 0..<limit {
                if done() { return true }
                try round()
            }
            return done()
        }

        var leader: Server? { servers.keys.sorted().lazy.compactMap { self.servers[$0] }.first { $0.isLeader && !self.down.contains($0.id) } }

        func elect() throws -> Server {
            _ = try run { leader != nil }
            return try #require(leader)
        }

        /// Runs a request to its end; its result.
        func await<T>(_ start: (@escaping (Result<T, ServerError>) -> Void) -> Void) throws -> Result<T, ServerError> {
            var result: Result<T, ServerError>?
            start { result = $0 }
            for id in servers.keys.sorted() { try servers[id]!.process() }
            _ = try run { result != nil }
            return try #require(result, "no answer")
        }
    }

    @Test func writesAndBarrier() throws {
        let cluster = try Cluster(voters: [1, 2, 3])
        let leader = try cluster.elect()
        for i in 1...12 {
            let result = try cluster.await { leader.apply(Array("put \(i)".utf8), done: $0) }
            #expect(try result.get() == Array(String(i).utf8))
        }
        #expect(throws: Never.self) { try cluster.await { leader.barrier(done: $0) }.get() }
        // A barrier answers once every entry before it is applied on the leader.
        #expect(cluster.machines[leader.id]!.commands.count == 12)
        let follower = try #require(cluster.servers.values.first { !$0.isLeader })
        #expect(try cluster.await { follower.apply([1], done: $0) } == .failure(.notLeader(leader: leader.id)))
    }

    @Test func membershipThroughTheAPI() throws {
        let cluster = try Cluster(voters: [1, 2, 3])
        let leader = try cluster.elect()
        for i in 1...12 { _ = try cluster.await { leader.apply(Array("put \(i)".utf8), done: $0) } }

        // A new server starts empty; it is added as a non-voter and catches up from the
        // leader's snapshot (the log before it is compacted), then is promoted.
        try cluster.add(4, bootstrap: [])
        #expect(throws: Never.self) { try cluster.await { leader.changeMembership(ConfChange([.init(.addLearner, 4)]), done: $0) }.get() }
        #expect(try cluster.run { cluster.machines[4]!.commands.count == 12 })
        #expect(throws: Never.self) { try cluster.await { leader.changeMembership(ConfChange([.init(.addVoter, 4)]), done: $0) }.get() }
        #expect(leader.configuration.voters == [1, 2, 3, 4])

        // Demote and remove; a change that does not fit is refused and changes nothing.
        #expect(throws: Never.self) { try cluster.await { leader.changeMembership(ConfChange([.init(.addLearner, 4)]), done: $0) }.get() }
        #expect(leader.configuration.learners == [4])
        let other = try #require([NodeID(1), 2, 3].first { $0 != leader.id })
        #expect(throws: Never.self) { try cluster.await { leader.changeMembership(ConfChange([.init(.remove, other)]), done: $0) }.get() }
        #expect(leader.configuration.voters.count == 2 && !leader.configuration.voters.contains(other))
        // Leaving a joint configuration while not in one does not fit.
        let refused = try cluster.await { leader.changeMembership(.leaveJoint, done: $0) }
        guard case .failure(.changeRefused) = refused else { Issue.record("\(refused)"); return }
        for i in 13...15 { #expect(throws: Never.self) { try cluster.await { leader.apply(Array("put \(i)".utf8), done: $0) }.get() } }
    }

    @Test func leadershipTransfer() throws {
        let cluster = try Cluster(voters: [1, 2, 3])
        let leader = try cluster.elect()
        _ = try cluster.await { leader.apply(Array("put 1".utf8), done: $0) }
        let target = try #require([NodeID(1), 2, 3].first { $0 != leader.id })
        #expect(throws: Never.self) { try cluster.await { leader.transferLeadership(to: target, done: $0) }.get() }
        #expect(cluster.servers[target]!.isLeader)
        // A transfer to a server that is down is abandoned after an election timeout.
        let newLeader = cluster.servers[target]!
        let unreachable = try #require([NodeID(1), 2, 3].first { $0 != target })
        cluster.down = [unreachable]
        let abandoned = try cluster.await { newLeader.transferLeadership(to: unreachable, done: $0) }
        #expect(throws: ServerError.transferFailed) { try abandoned.get() }
        #expect(newLeader.isLeader)
    }

    @Test(arguments: [ReadOnlyOption.safe, .leaseBased])
    func readsSeeAcknowledgedWrites(mode: ReadOnlyOption) throws {
        let cluster = try Cluster(voters: [1, 2, 3], readOnly: mode)
        let leader = try cluster.elect()
        for i in 1...6 {
            _ = try cluster.await { leader.apply(Array("put \(i)".utf8), done: $0) }
            // A read through any member, answered once that member's state machine holds every
            // acknowledged write.
            for id in cluster.servers.keys.sorted() {
                let server = cluster.servers[id]!
                var seen: [String]?
                let result = try cluster.await { done in server.read { result in
                    seen = cluster.machines[id]!.commands
                    done(result)
                } }
                #expect(throws: Never.self) { try result.get() }
                #expect(seen?.last == "put \(i)", "node \(id) read \(seen ?? [])")
            }
        }
        // With a quorum down, no read is confirmed; the owner abandons it.
        cluster.down = Set(cluster.servers.keys.filter { $0 != leader.id })
        var result: Result<LogIndex, ServerError>?
        let id = leader.read { result = $0 }
        _ = try cluster.run(limit: 30) { result != nil }
        // Unconfirmed, it gets no answer, or fails once the leader steps down (CheckQuorum).
        if mode == .safe { #expect(result == nil || result == .failure(.dropped), "\(String(describing: result))") }
        if result == nil { leader.abandon(id) }
        #expect(leader.waiting == 0)
    }

    /// A follower's ReadIndex answer still in flight when the follower restarts is not taken for
    /// the answer to a read of the new start (their contexts differ by incarnation): the new
    /// read returns an index at or above every write acknowledged before it was asked.
    @Test func readAnswerForAnEarlierStartIsIgnored() throws {
        let cluster = try Cluster(voters: [1, 2, 3], snapshotEvery: nil)
        let leader = try cluster.elect()
        _ = try cluster.await { leader.apply(Array("put 1".utf8), done: $0) }
        let follower = try #require(cluster.servers.keys.sorted().first { $0 != leader.id })
        // A read through the follower, whose answer from the leader is held back.
        _ = cluster.servers[follower]!.read { _ in }
        try cluster.servers[follower]!.process()
        var held: [Message] = []
        for _ in 0..<20 where held.isEmpty {
            while !cluster.network.inFlight.isEmpty {
                let message = cluster.network.inFlight.removeFirst()
                if message.type == .readIndexResponse && message.to == follower { held.append(message); continue }
                cluster.servers[message.to]!.receive(message)
                try cluster.servers[message.to]!.process()
            }
            if held.isEmpty { for id in cluster.servers.keys.sorted() { cluster.servers[id]!.tick(); try cluster.servers[id]!.process() } }
        }
        let oldAnswer = try #require(held.first)
        // The follower restarts; a write is acknowledged; then the follower is asked to read,
        // and the old answer arrives first.
        try cluster.start(follower)
        let write = try cluster.await { leader.apply(Array("put 2".utf8), done: $0) }
        #expect(throws: Never.self) { try write.get() }
        let written = leader.status.lastIndex
        var result: Result<LogIndex, ServerError>?
        _ = cluster.servers[follower]!.read { result = $0 }
        try cluster.servers[follower]!.process()
        cluster.servers[follower]!.receive(oldAnswer)
        try cluster.servers[follower]!.process()
        _ = try cluster.run { result != nil }
        let index = try #require(try result?.get())
        #expect(index >= written, "read at \(index), below the write acknowledged at \(written)")
        #expect(oldAnswer.index < written)
    }

    @Test func writesLostToAnotherLeaderFail() throws {
        // No compaction: the old leader learns of the other entry from the log, not a snapshot
        // (after which its write's outcome would be unknown).
        let cluster = try Cluster(voters: [1, 2, 3], snapshotEvery: nil)
        let old = try cluster.elect()
        // The leader is cut off with a write it cannot commit; another leader takes over and
        // writes at the same index; back in the cluster, the old leader learns its write failed.
        cluster.down = Set(cluster.servers.keys.filter { $0 != old.id })
        var lost: Result<[UInt8], ServerError>?
        old.apply(Array("lost".utf8)) { lost = $0 }
        try old.process()
        cluster.network.inFlight.removeAll()
        cluster.down = [old.id]
        let new = try #require(try cluster.run { cluster.leader != nil } ? cluster.leader : nil)
        _ = try cluster.await { new.apply(Array("kept".utf8), done: $0) }
        cluster.down = []
        #expect(try cluster.run { lost != nil })
        #expect(lost == .failure(.dropped))
        #expect(try cluster.run { cluster.machines.values.allSatisfy { $0.commands == ["kept"] } })
    }
}
