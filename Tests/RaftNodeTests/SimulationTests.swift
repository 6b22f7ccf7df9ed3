import RaftCore
import Testing
@testable import RaftNode

/// The server's own logic under faults, seeded: three servers on in-memory stores, with
/// messages delivered out of order, dropped and duplicated, and servers crashed (their stores
/// kept, everything else lost) and restarted, between steps or in the middle of `process`, at
/// a store write. After every step: no two leaders in one term, every state machine's
/// commands are a prefix of every other's (state machine safety), and every acknowledged
/// write sits where it was acknowledged in every state machine that got that far.
@Suite struct SimulationTests {
    /// A crash armed to strike at a server's n-th store write from now: the write does not
    /// happen and `process` throws, as if the machine stopped there.
    final class Crash {
        struct Struck: Error {}
        var countdown: Int?

        func write() throws {
            guard let n = countdown else { return }
            if n == 0 { throw Struck() }
            countdown = n - 1
        }
    }

    final class Stores: LogStore, StableStore, SnapshotStore {
        let log = MemoryLogStore()
        let stable = MemoryStableStore()
        let snapshots = MemorySnapshotStore()
        let crash = Crash()

        var firstIndex: LogIndex { log.firstIndex }
        var lastIndex: LogIndex { log.lastIndex }
        var compacted: (index: LogIndex, term: Term) { log.compacted }
        func entries(from: LogIndex, to: LogIndex) throws -> [Entry] { try log.entries(from: from, to: to) }
        func append(_ entries: [Entry]) throws { try crash.write(); try log.append(entries) }
        func compact(through index: LogIndex, term: Term) throws { try crash.write(); try log.compact(through: index, term: term) }
        var hardState: HardState { stable.hardState }
        func save(_ hardState: HardState) throws { try crash.write(); try stable.save(hardState) }
        func save(_ snapshot: Snapshot) throws { try crash.write(); try snapshots.save(snapshot) }
        func latest() throws -> Snapshot? { try snapshots.latest() }
    }

    struct Cluster {
        var servers: [Server?]
        var machines: [CommandList]
        /// Servers started so far: each start's incarnation.
        var starts: UInt64 = 0
        let stores = [Stores(), Stores(), Stores()]
        let network = HeldMessages()
        var leaders: [Term: NodeID] = [:]
        /// Acknowledged writes: the command and its position (from the state machine's result).
        let acknowledged = Acknowledged()

        init() throws {
            (servers, machines) = ([nil, nil, nil], [])
            for slot in 0..<3 {
                machines.append(CommandList())
                try start(slot)
            }
        }

        mutating func start(_ slot: Int) throws {
            let id = NodeID(UInt64(slot + 1))
            var config = Config(id: id)
            (config.electionTicks, config.heartbeatTicks, config.preVote, config.randomSeed) = (5, 1, true, UInt64(slot))
            machines[slot] = CommandList()
            stores[slot].crash.countdown = nil
            starts += 1
            servers[slot] = try Server(config: config, bootstrap: [1, 2, 3], log: stores[slot], stable: stores[slot],
                                       snapshots: stores[slot], machine: machines[slot], transport: network, incarnation: starts,
                                       snapshotEvery: 4)
        }

        /// Records who leads which term; nil, or the broken property.
        mutating func check() -> String? {
            for server in servers.compactMap({ $0 }) where server.isLeader {
                if let other = leaders[server.term], other != server.id { return "two leaders in term \(server.term)" }
                leaders[server.term] = server.id
            }
            for a in machines.indices {
                for b in machines.indices where a < b {
                    let (x, y) = (machines[a].commands, machines[b].commands)
                    if !(x.starts(with: y) || y.starts(with: x)) { return "nodes \(a + 1) and \(b + 1) applied different commands" }
                }
            }
            for (command, position) in acknowledged.writes {
                for (slot, machine) in machines.enumerated() where machine.commands.count >= position {
                    if machine.commands[position - 1] != command { return "node \(slot + 1) lost acknowledged \(command)" }
                }
            }
            return nil
        }

        /// Takes a message out of flight; a snapshot's sender learns whether it arrived.
        mutating func take(at i: Int, delivered: Bool) {
            let message = network.inFlight.remove(at: i)
            if delivered { servers[Int(message.to.rawValue) - 1]?.receive(message) }
            if message.type == .snapshot { servers[Int(message.from.rawValue) - 1]?.reportSnapshot(to: message.to, failed: !delivered) }
        }
    }

    final class Acknowledged {
        var writes: [(String, Int)] = []
    }

    /// 400 seeded runs of 3,000 steps. Sending `messagesAfterPersist` before the writes they
    /// depend on is caught here (two leaders in a term, or diverging state machines, within
    /// the first 50 seeds).
    @Test func safetyUnderFaults() throws {
        var progressed = 0
        for seed in UInt64(1)...400 {
            guard let acknowledged = try Self.run(seed: seed) else { return }
            if acknowledged > 0 { progressed += 1 }
        }
        // The faults seldom keep every command out: the checks saw real work.
        #expect(progressed >= 360, "\(progressed) of 400 runs acknowledged a write")
    }

    /// One seeded run; how many writes were acknowledged, or nil after recording a
    /// broken property.
    static func run(seed: UInt64) throws -> Int? {
        var cluster = try Cluster()
        var rng = SplitMix64(seed: seed)
        var proposals = 0
        for step in 0..<3000 {
            let slot = Int(rng.next(below: 3))
            switch rng.next(below: 100) {
            case 0..<30:
                cluster.servers[slot]?.tick()
            case 30..<75 where !cluster.network.inFlight.isEmpty:
                cluster.take(at: Int(rng.next(below: UInt64(cluster.network.inFlight.count))), delivered: true)
            case 75..<80 where !cluster.network.inFlight.isEmpty:
                cluster.take(at: Int(rng.next(below: UInt64(cluster.network.inFlight.count))), delivered: false)
            case 80..<83 where !cluster.network.inFlight.isEmpty:
                cluster.network.inFlight.append(cluster.network.inFlight[Int(rng.next(below: UInt64(cluster.network.inFlight.count)))])
            case 83..<86:
                cluster.servers[slot] = nil  // Crash: only the stores remain.
            case 86..<90 where cluster.servers[slot] == nil:
                try cluster.start(slot)
            case 90..<92:
                cluster.stores[slot].crash.countdown = Int(rng.next(below: 4))
            default:
                if let server = cluster.servers[slot], server.isLeader {
                    proposals += 1
                    let (command, acknowledged) = ("put \(proposals)", cluster.acknowledged)
                    server.apply(Array(command.utf8)) { result in
                        if case .success(let position) = result { acknowledged.writes.append((command, Int(String(decoding: position, as: UTF8.self))!)) }
                    }
                }
            }
            for slot in cluster.servers.indices {
                do {
                    try cluster.servers[slot]?.process()
                } catch is Crash.Struck {
                    cluster.servers[slot] = nil
                }
            }
            if let broken = cluster.check() {
                Issue.record("seed \(seed), step \(step): \(broken)")
                return nil
            }
        }
        return cluster.acknowledged.writes.count
    }
}
