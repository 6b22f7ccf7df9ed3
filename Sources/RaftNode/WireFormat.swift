import RaftCore

/// How servers send RaftCore messages to each other: a versioned binary encoding, and frames
/// for a byte stream. Stable: version 1 decodes the same in every release, and a change makes
/// a new version.
///
/// A message is the version (1), its type's wire number, then its fields in a fixed order,
/// integers as LEB128 varints: from, to, term, log term, index, commit, reject, reject hint,
/// context, campaign transfer, the entries (count, then term, index, kind, data each) and the
/// snapshot (0, or 1 then index, term, the configuration's four lists, auto-leave and data).
/// Data is its length, then its bytes.
public enum WireFormat {
    public static let version: UInt8 = 1

    /// Message types by wire number (the list only grows; a type's number never changes).
    /// The local report types never cross the network.
    static let types: [MessageType] = [
        .propose, .vote, .voteResponse, .preVote, .preVoteResponse, .append, .appendResponse, .heartbeat,
        .heartbeatResponse, .snapshot, .transferLeader, .timeoutNow, .readIndex, .readIndexResponse,
    ]

    /// Bytes that are not a message of a version this build reads.
    public struct Invalid: Error, Equatable, CustomStringConvertible {
        public var offset: Int
        public var reason: String
        public var description: String { "not a message: \(reason) at byte \(offset)" }
    }

    public static func encode(_ message: Message) -> [UInt8] {
        precondition(!message.type.isLocal, "\(message.type) is local: it never crosses the network")
        var w = VarintWriter()
        w.bytes.append(version)
        w.word(UInt64(types.firstIndex(of: message.type)!))
        for value in [message.from.rawValue, message.to.rawValue, message.term.rawValue, message.logTerm.rawValue,
                      message.index.rawValue, message.commit.rawValue] { w.word(value) }
        w.word(message.reject ? 1 : 0)
        w.word(message.rejectHint.rawValue)
        w.word(message.context)
        w.word(message.campaignTransfer ? 1 : 0)
        w.word(UInt64(message.entries.count))
        for entry in message.entries {
            w.word(entry.term.rawValue)
            w.word(entry.index.rawValue)
            w.word(UInt64(entry.kind.rawValue))
            w.data(entry.data)
        }
        if let snapshot = message.snapshot {
            w.word(1)
            w.word(snapshot.metadata.index.rawValue)
            w.word(snapshot.metadata.term.rawValue)
            let conf = snapshot.metadata.confState
            for list in [conf.voters, conf.learners, conf.votersOutgoing, conf.learnersNext] {
                w.word(UInt64(list.count))
                for id in list { w.word(id.rawValue) }
            }
            w.word(conf.autoLeave ? 1 : 0)
            w.data(snapshot.data)
        } else {
            w.word(0)
        }
        return w.bytes
    }

    public static func decode(_ bytes: [UInt8]) throws(Invalid) -> Message {
        var r = VarintReader(bytes: bytes)
        let version = try r.byte()
        guard version == Self.version else { throw r.invalid("version \(version); this build reads \(Self.version)") }
        let number = try r.word()
        guard number < UInt64(types.count) else { throw r.invalid("no message type numbered \(number)") }
        let (from, to, term, logTerm, index, commit) = (try r.word(), try r.word(), try r.word(), try r.word(), try r.word(), try r.word())
        let reject = try r.flag(), rejectHint = try r.word(), context = try r.word(), campaignTransfer = try r.flag()
        var entries: [Entry] = []
        for _ in 0..<(try r.count()) {
            let (entryTerm, entryIndex, kindNumber) = (try r.word(), try r.word(), try r.word())
            guard let kind = UInt8(exactly: kindNumber).flatMap(Entry.Kind.init(rawValue:)) else { throw r.invalid("no entry kind \(kindNumber)") }
            entries.append(Entry(term: Term(entryTerm), index: LogIndex(entryIndex), kind: kind, data: try r.data()))
        }
        var snapshot: Snapshot?
        if try r.flag() {
            let (snapshotIndex, snapshotTerm) = (try r.word(), try r.word())
            var lists: [[NodeID]] = []
            for _ in 0..<4 {
                var list: [NodeID] = []
                for _ in 0..<(try r.count()) { list.append(NodeID(try r.word())) }
                lists.append(list)
            }
            let conf = ConfState(voters: lists[0], learners: lists[1], votersOutgoing: lists[2], learnersNext: lists[3], autoLeave: try r.flag())
            snapshot = Snapshot(metadata: SnapshotMetadata(index: LogIndex(snapshotIndex), term: Term(snapshotTerm), confState: conf),
                                data: try r.data())
        }
        guard r.offset == bytes.count else { throw r.invalid("bytes after the message") }
        return Message(type: types[Int(number)], from: NodeID(from), to: NodeID(to), term: Term(term), logTerm: Term(logTerm),
                       index: LogIndex(index), entries: entries, commit: LogIndex(commit), snapshot: snapshot, reject: reject,
                       rejectHint: LogIndex(rejectHint), context: context, campaignTransfer: campaignTransfer)
    }

    /// A frame for a byte stream: the payload's length (4 bytes, little-endian), then it.
    public static func frame(_ payload: [UInt8]) -> [UInt8] {
        precondition(payload.count <= Int(UInt32.max), "a frame over 4 GiB")
        return (0..<4).map { UInt8(truncatingIfNeeded: UInt32(payload.count) >> (8 * $0)) } + payload
    }
}

/// Cuts a byte stream into frames as bytes arrive, refusing any frame over `maxBytes` (a
/// peer's bytes cannot make it hold more).
public struct FrameReader {
    public let maxBytes: Int
    private var buffer: [UInt8] = []

    public init(maxBytes: Int) { self.maxBytes = maxBytes }

    /// Takes `bytes` and returns the frames completed, in order.
    public mutating func feed(_ bytes: [UInt8]) throws(WireFormat.Invalid) -> [[UInt8]] {
        buffer += bytes
        var frames: [[UInt8]] = []
        var start = 0
        while buffer.count - start >= 4 {
            let length = (0..<4).reduce(0) { $0 | Int(buffer[start + $1]) << (8 * $1) }
            guard length <= maxBytes else { throw WireFormat.Invalid(offset: start, reason: "a frame of \(length) bytes (at most \(maxBytes))") }
            guard buffer.count - start - 4 >= length else { break }
            frames.append(Array(buffer[start + 4..<start + 4 + length]))
            start += 4 + length
        }
        buffer.removeFirst(start)
        return frames
    }
}

private struct VarintWriter {
    var bytes: [UInt8] = []

    mutating func word(_ value: UInt64) {
        var v = value
        while v >= 0x80 {
            bytes.append(UInt8(truncatingIfNeeded: v) | 0x80)
            v >>= 7
        }
        bytes.append(UInt8(v))
    }

    mutating func data(_ data: [UInt8]) {
        word(UInt64(data.count))
        bytes += data
    }
}

private struct VarintReader {
    let bytes: [UInt8]
    var offset = 0

    func invalid(_ reason: String) -> WireFormat.Invalid { WireFormat.Invalid(offset: offset, reason: reason) }

    mutating func byte() throws(WireFormat.Invalid) -> UInt8 {
        guard offset < bytes.count else { throw invalid("cut short") }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func word() throws(WireFormat.Invalid) -> UInt64 {
        var value: UInt64 = 0
        for shift in stride(from: UInt64(0), to: 64, by: 7) {
            let b = try byte()
            guard shift < 63 || b <= 1 else { throw invalid("a number over 64 bits") }
            value |= UInt64(b & 0x7F) << shift
            if b < 0x80 { return value }
        }
        throw invalid("a number over 64 bits")
    }

    mutating func flag() throws(WireFormat.Invalid) -> Bool {
        switch try word() {
        case 0: false
        case 1: true
        case let other: throw invalid("a flag of \(other)")
        }
    }

    /// A count of things that take a byte or more each: at most the bytes left.
    mutating func count() throws(WireFormat.Invalid) -> Int {
        let n = try word()
        guard n <= UInt64(bytes.count - offset) else { throw invalid("a count of \(n) past the end") }
        return Int(n)
    }

    mutating func data() throws(WireFormat.Invalid) -> [UInt8] {
        let n = try count()
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }
}
