import Foundation
import RaftCore
import Testing
@testable import RaftNode

/// Commands kept in order: the state machine of these tests.
final class CommandList: StateMachine {
    var commands: [String] = []

    /// Returns the command's position in the list, as text.
    func apply(_ command: [UInt8], at index: LogIndex) -> [UInt8] {
        commands.append(String(decoding: command, as: UTF8.self))
        return Array(String(commands.count).utf8)
    }
    func snapshot() -> [UInt8] { Array(commands.joined(separator: "\n").utf8) }
    func restore(_ data: [UInt8]) throws {
        commands = data.isEmpty ? [] : String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
    }
}

/// Messages in flight between in-process servers, delivered when the test says.
final class HeldMessages: Transport {
    var inFlight: [Message] = []
    func send(_ message: Message) { inFlight.append(message) }
}

/// Servers on file stores and an in-memory network: a leader is elected, commands reach every
/// state machine in the same order, and a server restarted from its directory (snapshot, log
/// and hard state) rebuilds the same state and catches up.
@Suite struct ServerTests {
    struct Member {
        var server: Server
        let machine: CommandList
        let directory: String
    }

    static func open(_ id: NodeID, in directory: String, network: HeldMessages) throws -> Member {
        var config = Config(id: id)
        (config.electionTicks, config.heartbeatTicks, config.preVote, config.checkQuorum, config.randomSeed) = (10, 1, true, true, id.rawValue)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let machine = CommandList()
        let server = try Server(config: config, bootstrap: [1, 2, 3], log: try FileLogStore(directory: "\(directory)/log", segmentBytes: 4096),
                                stable: try FileStableStore(directory: directory), snapshots: try FileSnapshotStore(directory: "\(directory)/snapshots"),
                                machine: machine, transport: network, incarnation: try Incarnation.next(in: directory), snapshotEvery: 8)
        return Member(server: server, machine: machine, directory: directory)
    }

    /// One round: every server ticks, then messages are delivered until none is left, each
    /// server carrying out its work after every delivery. `down` servers get nothing.
    static func round(_ members: [Member], _ network: HeldMessages, down: Set<NodeID> = []) throws {
        for member in members where !down.contains(member.server.id) {
            member.server.tick()
            try member.server.process()
        }
        while !network.inFlight.isEmpty {
            let message = network.inFlight.removeFirst()
            guard let member = members.first(where: { $0.server.id == message.to }), !down.contains(message.to) else { continue }
            member.server.receive(message)
            try member.server.process()
            if message.type == .snapshot, let sender = members.first(where: { $0.server.id == message.from }) {
                sender.server.reportSnapshot(to: message.to, failed: false)
            }
        }
    }

    @Test func electReplicateRestart() throws {
        let root = try LogStoreTests.directory()
        let network = HeldMessages()
        var members = try [NodeID(1), 2, 3].map { try Self.open($0, in: "\(root)/\($0)", network: network) }
        for _ in 0..<100 where !members.contains(where: \.server.isLeader) { try Self.round(members, network) }
        let leader = try #require(members.first { $0.server.isLeader })

        for i in 1...30 {
            var result: Result<[UInt8], ServerError>?
            leader.server.apply(Array("put \(i)".utf8)) { result = $0 }
            try leader.server.process()
            try Self.round(members, network)
            // Acknowledged once applied on the leader, with the state machine's result.
            #expect(try result?.get() == Array(String(i).utf8))
        }
        let expected = (1...30).map { "put \($0)" }
        for member in members { #expect(member.machine.commands == expected, "node \(member.server.id)") }

        // A follower goes down; the others go on; it restarts from its directory alone.
        let follower = members.firstIndex { !$0.server.isLeader }!
        let id = members[follower].server.id
        for i in 31...40 {
            leader.server.apply(Array("put \(i)".utf8)) { _ in }
            try Self.round(members, network, down: [id])
        }
        members[follower] = try Self.open(id, in: members[follower].directory, network: network)
        // Before any message or Ready: its newest snapshot (one every 8 entries) is restored.
        let restored = members[follower].machine.commands
        #expect(restored.count >= 8 && expected.starts(with: restored), "\(restored)")
        for _ in 0..<20 { try Self.round(members, network) }
        for member in members { #expect(member.machine.commands == (1...40).map { "put \($0)" }, "node \(member.server.id)") }
    }
}
