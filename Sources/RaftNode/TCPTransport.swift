import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import RaftCore

/// Where a transport hands what arrives and what became of what it sent (a `Node`).
public protocol MessageSink: Sendable {
    func deliver(_ message: Message)
    func snapshotSent(to peer: NodeID, failed: Bool)
    func unreachable(_ peer: NodeID)
}

extension Node: MessageSink {}

/// Raft messages over TCP (SwiftNIO): one outbound connection per peer, carrying
/// length-prefixed `WireFormat` frames, and a listener for the peers' connections.
///
/// - Pipelined: messages are written as they come, without waiting for answers.
/// - Bounded: at most `maxQueuedBytes` per peer wait to be written; past that, messages are
///   dropped and the peer reported unreachable (the leader then probes it gently), so a slow
///   or dead peer cannot exhaust memory. Inbound frames over `maxFrameBytes` close the
///   connection.
/// - Reconnecting: a connection that fails or closes is dialled again on the next message,
///   after a backoff that doubles from 50 ms to 2 s (timed on the event loop's clock); in
///   between, messages to that peer are dropped and reported.
/// - Snapshots are reported sent once written to the socket, or failed.
public final class TCPTransport: Transport, Sendable {
    public let id: NodeID
    public let maxQueuedBytes: Int
    public let maxFrameBytes: Int
    private let group: any EventLoopGroup
    private let links: NIOLockedValueBox<[NodeID: PeerLink]>
    private let sink = NIOLockedValueBox<(any MessageSink)?>(nil)
    private let accepted = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])
    private let listener = NIOLockedValueBox<(any Channel)?>(nil)

    public init(id: NodeID, peers: [NodeID: SocketAddress], group: any EventLoopGroup,
                maxQueuedBytes: Int = 64 << 20, maxFrameBytes: Int = 256 << 20) {
        (self.id, self.group, self.maxQueuedBytes, self.maxFrameBytes) = (id, group, maxQueuedBytes, maxFrameBytes)
        links = NIOLockedValueBox([:])
        for (peer, address) in peers where peer != id { setPeer(peer, address: address) }
    }

    /// Sets (or replaces) the address of `peer`, for a member added later.
    public func setPeer(_ peer: NodeID, address: SocketAddress) {
        let link = PeerLink(peer: peer, address: address, loop: group.next(), transport: self)
        links.withLockedValue { $0[peer] = link }
    }

    /// Where arriving messages and delivery reports go.
    public func attach(_ sink: any MessageSink) { self.sink.withLockedValue { $0 = sink } }

    var currentSink: (any MessageSink)? { sink.withLockedValue { $0 } }

    /// Starts accepting peers' connections at `host:port` (port 0: any free port); returns
    /// the address bound.
    public func listen(host: String, port: Int) async throws -> SocketAddress {
        let maxFrameBytes = maxFrameBytes
        let channel = try await ServerBootstrap(group: group)
            .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { [weak self] channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let self else { return }
                    self.accepted.withLockedValue { $0[ObjectIdentifier(channel)] = channel }
                    channel.closeFuture.whenComplete { [weak self] _ in
                        self?.accepted.withLockedValue { _ = $0.removeValue(forKey: ObjectIdentifier(channel)) }
                    }
                    try channel.pipeline.syncOperations.addHandler(FrameHandler(transport: self, maxFrameBytes: maxFrameBytes))
                }
            }
            .bind(host: host, port: port).get()
        listener.withLockedValue { $0 = channel }
        return channel.localAddress!
    }

    public func send(_ message: Message) {
        guard let link = links.withLockedValue({ $0[message.to] }) else {
            currentSink?.unreachable(message.to)
            return
        }
        link.send(message)
    }

    /// The bytes waiting to be written to `peer`; read on the peer's event loop.
    func bytesHeld(for peer: NodeID) -> Int { links.withLockedValue { $0[peer] }?.bytesHeld ?? 0 }

    /// Closes every connection, both ways (a network fault, for tests); they are dialled
    /// again as messages need them.
    public func cutConnections() {
        for link in links.withLockedValue({ Array($0.values) }) { link.cut() }
        for channel in accepted.withLockedValue({ Array($0.values) }) { channel.close(promise: nil) }
    }

    /// Stops listening and closes every connection.
    public func close() async {
        cutConnections()
        try? await listener.withLockedValue({ $0 })?.close()
    }
}

/// The connection to one peer, confined to its event loop: every field is read and written
/// there only.
final class PeerLink: @unchecked Sendable {
    let peer: NodeID
    let address: SocketAddress
    let loop: any EventLoop
    weak var transport: TCPTransport?
    private var channel: (any Channel)?
    private var connecting = false
    /// Messages waiting for the connection, and their bytes with those written but not yet
    /// flushed out of the socket.
    private var waiting: [(ByteBuffer, Message)] = []
    private(set) var bytesHeld = 0
    private var retryAt = NIODeadline.uptimeNanoseconds(0)
    private var backoff = TimeAmount.milliseconds(50)

    init(peer: NodeID, address: SocketAddress, loop: any EventLoop, transport: TCPTransport) {
        (self.peer, self.address, self.loop, self.transport) = (peer, address, loop, transport)
    }

    func send(_ message: Message) {
        let frame = WireFormat.frame(WireFormat.encode(message))
        loop.execute { self.enqueue(ByteBuffer(bytes: frame), message) }
    }

    func cut() {
        loop.execute { self.channel?.close(promise: nil) }
    }

    private func enqueue(_ buffer: ByteBuffer, _ message: Message) {
        guard let transport, bytesHeld + buffer.readableBytes <= transport.maxQueuedBytes else { return drop(message) }
        if let channel, channel.isActive { return write(buffer, message, on: channel) }
        guard NIODeadline.now() >= retryAt else { return drop(message) }
        bytesHeld += buffer.readableBytes
        waiting.append((buffer, message))
        connect()
    }

    private func write(_ buffer: ByteBuffer, _ message: Message, on channel: any Channel) {
        let size = buffer.readableBytes
        bytesHeld += size
        channel.writeAndFlush(buffer).whenComplete { result in
            self.bytesHeld -= size
            let failed = if case .failure = result { true } else { false }
            if message.type == .snapshot { self.transport?.currentSink?.snapshotSent(to: self.peer, failed: failed) }
            if failed { self.transport?.currentSink?.unreachable(self.peer) }
        }
    }

    /// Drops a message the peer cannot take now, and says so.
    private func drop(_ message: Message) {
        let sink = transport?.currentSink
        if message.type == .snapshot { sink?.snapshotSent(to: peer, failed: true) }
        sink?.unreachable(peer)
    }

    private func connect() {
        guard !connecting else { return }
        connecting = true
        ClientBootstrap(group: loop)
            .connectTimeout(.seconds(1))
            .channelOption(ChannelOptions.socketOption(.tcp_nodelay), value: 1)
            .connect(to: address)
            .whenComplete { result in
                self.connecting = false
                let held = self.waiting
                self.waiting = []
                for (buffer, _) in held { self.bytesHeld -= buffer.readableBytes }
                switch result {
                case .success(let channel):
                    self.channel = channel
                    self.backoff = .milliseconds(50)
                    channel.closeFuture.whenComplete { _ in self.closed(channel) }
                    for (buffer, message) in held { self.write(buffer, message, on: channel) }
                case .failure:
                    self.retryAt = .now() + self.backoff
                    self.backoff = min(self.backoff * 2, .seconds(2))
                    for (_, message) in held { self.drop(message) }
                }
            }
    }

    private func closed(_ channel: any Channel) {
        guard self.channel === channel else { return }
        self.channel = nil
        retryAt = .now() + backoff
        backoff = min(backoff * 2, .seconds(2))
    }
}

/// Reads frames from a peer's connection and hands the messages to the transport's sink. A
/// frame that is too large or does not decode closes the connection.
final class FrameHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = ByteBuffer
    private weak var transport: TCPTransport?
    private var reader: FrameReader

    init(transport: TCPTransport, maxFrameBytes: Int) {
        self.transport = transport
        reader = FrameReader(maxBytes: maxFrameBytes)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = unwrapInboundIn(data)
        let bytes = buffer.readBytes(length: buffer.readableBytes) ?? []
        do {
            let sink = transport?.currentSink
            for frame in try reader.feed(bytes) {
                let message = try WireFormat.decode(frame)
                if message.to == transport?.id { sink?.deliver(message) }
            }
        } catch {
            context.close(promise: nil)
        }
    }
}
