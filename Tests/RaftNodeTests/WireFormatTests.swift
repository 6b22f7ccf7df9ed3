import RaftCore
import Testing
@testable import RaftNode

/// Messages cross the network and come back equal; damaged or foreign bytes are refused with
/// an error, never a crash; frames come out of a stream however it is cut.
@Suite struct WireFormatTests {
    static let conf = ConfState(voters: [1, 2, 3], learners: [4], votersOutgoing: [1, 2, 7], learnersNext: [7], autoLeave: true)

    static var messages: [Message] {
        WireFormat.types.map { type in
            Message(type: type, from: 1, to: 3, term: 7, logTerm: 6, index: 41,
                    entries: [Entry(term: 6, index: 42, data: [1, 2, 3]), Entry(term: 7, index: 43, kind: .confChange, data: [])],
                    commit: 40, snapshot: type == .snapshot ? Snapshot(metadata: SnapshotMetadata(index: 40, term: 6, confState: conf), data: Array(repeating: 9, count: 300)) : nil,
                    reject: type == .appendResponse, rejectHint: 12, context: .max, campaignTransfer: type == .vote)
        } + [Message(type: .heartbeat, from: 2, to: 1)]
    }

    @Test func messagesRoundTrip() throws {
        for message in Self.messages {
            #expect(try WireFormat.decode(WireFormat.encode(message)) == message, "\(message)")
        }
    }

    @Test func damagedBytesAreRefused() throws {
        for message in Self.messages {
            let bytes = WireFormat.encode(message)
            for length in 0..<bytes.count {
                #expect(throws: WireFormat.Invalid.self) { try WireFormat.decode(Array(bytes.prefix(length))) }
            }
            #expect(throws: WireFormat.Invalid.self) { try WireFormat.decode(bytes + [0]) }
        }
        #expect(throws: WireFormat.Invalid(offset: 1, reason: "version 2; this build reads 1")) { try WireFormat.decode([2, 0]) }
        // Any bytes at all: an error or a message, never a crash.
        var rng = SplitMix64(seed: 5)
        for _ in 0..<20_000 {
            let bytes = (0..<Int(rng.next(below: 40))).map { _ in UInt8(truncatingIfNeeded: rng.next()) }
            _ = try? WireFormat.decode([1] + bytes)
        }
    }

    @Test func framesComeOutOfAnyCut() throws {
        let payloads = Self.messages.map(WireFormat.encode)
        let stream = payloads.flatMap(WireFormat.frame)
        for chunk in [1, 3, 7, 64, stream.count] {
            var reader = FrameReader(maxBytes: 1 << 20)
            var frames: [[UInt8]] = []
            for start in stride(from: 0, to: stream.count, by: chunk) {
                frames += try reader.feed(Array(stream[start..<min(start + chunk, stream.count)]))
            }
            #expect(frames == payloads, "chunks of \(chunk)")
        }
        var small = FrameReader(maxBytes: 100)
        #expect(throws: WireFormat.Invalid.self) { _ = try small.feed(WireFormat.frame(Array(repeating: 0, count: 101))) }
    }
}
