import NIOCore
import RaftCore
import RaftNode

/// Answers client requests (`Request`) with the member's node.
struct Service: Sendable {
    let node: Node<KeyValueMachine>
    let transport: TCPTransport
    let timeout: Duration

    func answer(_ line: String) async -> String {
        do {
            let request = try Request(line: line)
            switch request {
            case let .get(key, mode):
                let value = try await node.read(mode, timeout: timeout) { $0.get(key) }
                return value.map { "VALUE \($0)" } ?? "NONE"
            case .put, .cas:
                // The state machine's result is the answer.
                return String(decoding: try await node.apply(request.command!, timeout: timeout), as: UTF8.self)
            case .stats:
                let stats = await node.stats
                let s = stats.status
                return "STATS id=\(s.id) role=\(s.role) term=\(s.term) leader=\(s.leader) commit=\(s.commit) applied=\(s.applied)"
                    + " last=\(s.lastIndex) snapshot=\(stats.snapshotIndex) waiting=\(stats.waiting) syncs=\(stats.syncs)"
            case .cut:
                transport.cutConnections()
                return "OK"
            }
        } catch let error as Request.Invalid {
            return "ERR \(error.reason)"
        } catch let error as ServerError {
            switch error {
            case .notLeader(let leader): return "NOTLEADER \(leader)"
            case .dropped, .changeRefused: return "DROPPED"
            default: return "UNKNOWN"
            }
        } catch {
            return "UNKNOWN"
        }
    }
}

/// One client connection: requests are lines, answered one at a time in order. A line longer
/// than 64 KiB is refused and the connection closed.
final class ClientHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    static let maxLine = 64 << 10
    let service: Service
    /// Confined to the channel's event loop.
    private var pending: [UInt8] = []
    private var previous: Task<Void, Never>?
    private var refused = false

    init(service: Service) { self.service = service }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !refused else { return }
        var buffer = unwrapInboundIn(data)
        pending += buffer.readBytes(length: buffer.readableBytes) ?? []
        let channel = context.channel
        while let newline = pending.firstIndex(of: UInt8(ascii: "\n")), newline <= Self.maxLine {
            var text = String(decoding: pending[..<newline], as: UTF8.self)
            if text.hasSuffix("\r") { text.removeLast() }
            pending.removeSubrange(...newline)
            let line = text
            answer(on: channel) { await $0.answer(line) }
        }
        if pending.count > Self.maxLine {
            // Answered in turn, after the requests before it; then the connection closes.
            refused = true
            pending = []
            answer(on: channel, thenClose: true) { _ in "ERR request longer than \(Self.maxLine) bytes" }
        }
    }

    /// Queues an answer after those before it on this connection.
    private func answer(on channel: any Channel, thenClose: Bool = false, _ make: @escaping @Sendable (Service) async -> String) {
        let (service, before) = (service, previous)
        previous = Task {
            await before?.value
            let reply = await make(service)
            _ = try? await channel.writeAndFlush(ByteBuffer(string: reply + "\n")).get()
            if thenClose { _ = try? await channel.close() }
        }
    }
}
