import Foundation
import NIOCore
import NIOPosix
import RaftCore
import Synchronization
import Testing
@testable import RaftNode

/// The TCP transport's limits, on real sockets on 127.0.0.1: a peer that never reads holds at
/// most `maxQueuedBytes` of this side's memory (the rest is dropped and reported), a peer that
/// does not listen is reported unreachable and a snapshot to it failed, and messages between
/// two transports arrive whole and in order.
@Suite struct TCPTransportTests {
    /// Counts what a transport reports.
    final class Reports: MessageSink {
        let delivered = Mutex<[Message]>([])
        let unreachable = Mutex(0)
        let snapshotsFailed = Mutex(0)
        func deliver(_ message: Message) { delivered.withLock { $0.append(message) } }
        func snapshotSent(to peer: NodeID, failed: Bool) { if failed { snapshotsFailed.withLock { $0 += 1 } } }
        func unreachable(_ peer: NodeID) { unreachable.withLock { $0 += 1 } }
    }

    /// Polls `done` every 10 ms for up to 10 s.
    static func eventually(_ done: () -> Bool) async throws -> Bool {
        for _ in 0..<1000 {
            if done() { return true }
            try await Task.sleep(for: .milliseconds(10))
        }
        return done()
    }

    static func append(_ i: UInt64, bytes: Int) -> Message {
        Message(type: .append, from: 1, to: 2, term: 1, index: LogIndex(i), entries: [Entry(term: 1, index: LogIndex(i + 1), data: Array(repeating: 7, count: bytes))])
    }

    @Test func aPeerThatNeverReadsIsBounded() async throws {
        // A socket that listens but never accepts or reads: the kernel takes what fits in its
        // buffers, and then the transport must stop holding more.
        let listener = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(listener) }
        var address = sockaddr_in()
        (address.sin_family, address.sin_addr.s_addr, address.sin_port) = (sa_family_t(AF_INET), inet_addr("127.0.0.1"), 0)
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let listening = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(listener, $0, length) == 0 && listen(listener, 4) == 0 && getsockname(listener, $0, &length) == 0 }
        }
        try #require(listening)
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let transport = TCPTransport(id: 1, peers: [2: try SocketAddress(ipAddress: "127.0.0.1", port: Int(UInt16(bigEndian: address.sin_port)))],
                                     group: group, maxQueuedBytes: 1 << 20)
        let reports = Reports()
        transport.attach(reports)
        // 64 MiB in 8 KiB messages, far past the kernel's buffers and the 1 MiB bound.
        for i in 0..<8192 { transport.send(Self.append(UInt64(i), bytes: 8192)) }
        #expect(try await Self.eventually { reports.unreachable.withLock { $0 } > 0 })
        let held = try await group.next().submit { transport.bytesHeld(for: 2) }.get()
        #expect(held <= 1 << 20, "\(held) bytes held for a peer that never reads")
        await transport.close()
        try await group.shutdownGracefully()
    }

    @Test func unreachablePeersAndDelivery() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let (a, b) = (Reports(), Reports())
        let free = try await ServerBootstrap(group: group).bind(host: "127.0.0.1", port: 0).get()
        let nobody = free.localAddress!
        try await free.close()  // Nothing listens there now.
        let one = TCPTransport(id: 1, peers: [3: nobody], group: group)
        let two = TCPTransport(id: 2, peers: [:], group: group)
        one.attach(a)
        two.attach(b)
        one.setPeer(2, address: try await two.listen(host: "127.0.0.1", port: 0))

        let snapshot = Snapshot(metadata: SnapshotMetadata(index: 5, term: 1, confState: ConfState()), data: [1, 2, 3])
        one.send(Message(type: .snapshot, from: 1, to: 3, term: 1, snapshot: snapshot))
        #expect(try await Self.eventually { a.unreachable.withLock { $0 } > 0 && a.snapshotsFailed.withLock { $0 } == 1 })

        let sent = (0..<200).map { Self.append(UInt64($0), bytes: Int($0) * 37) }
        for message in sent { one.send(message) }
        #expect(try await Self.eventually { b.delivered.withLock { $0.count } == sent.count })
        #expect(b.delivered.withLock { $0 } == sent)
        await one.close()
        await two.close()
        try await group.shutdownGracefully()
    }
}
