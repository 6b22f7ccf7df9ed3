import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import RaftCore
import RaftNode

/// `raftkv`: one member of a replicated key-value service on RaftNode. Its data lives in
/// `--data`; its peers (itself included) are listed in `--peers`; clients speak the line
/// protocol of `Request` at `--listen`. Members listed in `--peers` whose stores are empty
/// start the cluster together.
@main
struct RaftKV: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "raftkv",
        abstract: "A replicated key-value service: one member per process, over TCP."
    )

    @Option(help: "This member's id (a positive integer listed in --peers).")
    var id: UInt64

    @Option(help: "The directory of this member's log, hard state and snapshots (created if missing).")
    var data: String

    @Option(help: "Every founding member's Raft address: ID=HOST:PORT,ID=HOST:PORT,...")
    var peers: String

    @Option(help: "Where clients connect: HOST:PORT.")
    var listen: String

    @Option(help: "Milliseconds per tick.")
    var tickMs = 20

    @Option(help: "Ticks without a leader before an election (heartbeats go every tick).")
    var electionTicks = 10

    @Option(help: "Applied entries between snapshots.")
    var snapshotEvery: UInt64 = 1000

    @Option(help: "Milliseconds a request may wait for its answer.")
    var timeoutMs = 2000

    @Flag(help: "Carry out each input on its own (one sync each) instead of batching what arrives together (for benchmarks).")
    var noBatching = false

    struct Invalid: Error, CustomStringConvertible {
        let description: String
    }

    static func address(_ text: String, option: String) throws -> (host: String, port: Int) {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port),
              colon != text.startIndex
        else { throw Invalid(description: "\(option): '\(text)' is not HOST:PORT") }
        return (String(text[..<colon]), port)
    }

    func parsePeers() throws -> [NodeID: SocketAddress] {
        var addresses: [NodeID: SocketAddress] = [:]
        for item in peers.split(separator: ",") {
            let parts = item.split(separator: "=", maxSplits: 1)
            guard parts.count == 2, let peer = UInt64(parts[0]), peer > 0 else {
                throw Invalid(description: "--peers: '\(item)' is not ID=HOST:PORT with a positive ID")
            }
            let (host, port) = try Self.address(String(parts[1]), option: "--peers")
            guard addresses[NodeID(peer)] == nil else { throw Invalid(description: "--peers: member \(peer) is listed twice") }
            do {
                addresses[NodeID(peer)] = try SocketAddress.makeAddressResolvingHost(host, port: port)
            } catch {
                throw Invalid(description: "--peers: cannot resolve '\(host)': \(error)")
            }
        }
        guard addresses[NodeID(id)] != nil else { throw Invalid(description: "--peers: this member (--id \(id)) is not listed") }
        return addresses
    }

    static func main() async {
        do {
            let command = try parseAsRoot() as! RaftKV
            try await command.run()
        } catch let error as Invalid {
            FileHandle.standardError.write(Data("raftkv: \(error)\n".utf8))
            Foundation.exit(2)
        } catch {
            let code = exitCode(for: error)
            if code == .success { print(fullMessage(for: error)); Foundation.exit(0) }
            FileHandle.standardError.write(Data("raftkv: \(fullMessage(for: error))\n".utf8))
            Foundation.exit(code == .validationFailure ? 2 : 3)
        }
    }

    func run() async throws {
        guard id > 0 else { throw Invalid(description: "--id: must be positive") }
        guard tickMs > 0, timeoutMs > 0 else { throw Invalid(description: "--tick-ms and --timeout-ms must be positive") }
        guard electionTicks > 1 else { throw Invalid(description: "--election-ticks: must be at least 2") }
        guard snapshotEvery > 0 else { throw Invalid(description: "--snapshot-every: must be positive") }
        let peers = try parsePeers()
        let client = try Self.address(listen, option: "--listen")
        let me = NodeID(id)

        var config = Config(id: me)
        (config.electionTicks, config.heartbeatTicks, config.preVote, config.checkQuorum) = (electionTicks, 1, true, true)
        config.randomSeed = UInt64(UInt32.random(in: .min ... .max))  // Members' timeouts must differ; any seed is safe.
        config.maxSizePerMessage = 1 << 20
        config.maxInflightMessages = 256

        let network = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let raftThread = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = TCPTransport(id: me, peers: peers, group: network)
        let node: Node<KeyValueMachine>
        do {
            try FileManager.default.createDirectory(atPath: data, withIntermediateDirectories: true)
            node = try Node(config: config, bootstrap: peers.keys.sorted(), log: try FileLogStore(directory: "\(data)/log"),
                            stable: try FileStableStore(directory: data), snapshots: try FileSnapshotStore(directory: "\(data)/snapshots"),
                            machine: KeyValueMachine(), transport: transport, incarnation: try Incarnation.next(in: data),
                            snapshotEvery: snapshotEvery,
                            tickInterval: .milliseconds(tickMs), clock: ContinuousClock(), on: raftThread.next(), batching: !noBatching)
        } catch let error as StoreError {
            throw Invalid(description: "--data: \(error)")
        } catch let error as CocoaError {
            throw Invalid(description: "--data: cannot create '\(data)': \(error.underlying.map { "\($0)" } ?? "\(error.code)")")
        }
        transport.attach(node)
        let raftAddress = peers[me]!
        _ = try await transport.listen(host: raftAddress.ipAddress ?? "127.0.0.1", port: raftAddress.port ?? 0)
        await node.start()

        let service = Service(node: node, transport: transport, timeout: .milliseconds(timeoutMs))
        let server = try await ServerBootstrap(group: network)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(ClientHandler(service: service))
                }
            }
            .bind(host: client.host, port: client.port).get()
        FileHandle.standardOutput.write(Data("raftkv \(id) listening on \(server.localAddress!)\n".utf8))
        try await server.closeFuture.get()
    }
}
