import RaftExplorer

/// A state's image for the explorer's frontier and checkpoints: every variable, each small
/// value as one byte and each packed log as 8 little-endian bytes, lists led by a 16-bit count.
extension RaftTLAModel {
    public func encode(_ s: State, into bytes: inout [UInt8], scratch _: ImageScratch) {
        var w = ImageBytes(bytes: bytes)
        bytes = []
        w.count(s.messages.count)
        for entry in s.messages {
            w.message(entry.message)
            w.byte(entry.count)
        }
        w.count(s.elections.count)
        for e in s.elections {
            for value in [e.term, e.leader, e.votes, e.voterDomain] { w.byte(value) }
            w.log(e.log)
            for j in 0..<4 { w.log(e.voterLogs[j]) }
        }
        w.count(s.allLogs.count)
        for log in s.allLogs { w.log(log) }
        for i in 0..<4 {
            for value in [s.currentTerm[i], s.role[i].rawValue, s.votedFor[i], s.commitIndex[i], s.votesResponded[i],
                          s.votesGranted[i], s.voterDomain[i]] { w.byte(value) }
            w.log(s.log[i])
        }
        for k in 0..<16 {
            w.log(s.voterLogs[k])
            w.byte(s.nextIndex[k])
            w.byte(s.matchIndex[k])
        }
        bytes = w.bytes
    }

    public func decode(_ bytes: UnsafeRawBufferPointer, scratch _: ImageScratch) throws -> State {
        var r = ImageCursor(bytes: bytes)
        var s = State()
        for _ in 0..<(try r.count()) {
            s.messages.append(BagEntry(message: try r.message(), count: try r.byte()))
        }
        for _ in 0..<(try r.count()) {
            let (term, leader, votes, domain) = (try r.byte(), try r.byte(), try r.byte(), try r.byte())
            let log = try r.log()
            var voterLogs = InlineArray<4, Log>(repeating: .empty)
            for j in 0..<4 { voterLogs[j] = try r.log() }
            s.elections.append(Election(term: term, leader: leader, log: log, votes: votes, voterDomain: domain, voterLogs: voterLogs))
        }
        for _ in 0..<(try r.count()) { s.allLogs.append(try r.log()) }
        for i in 0..<4 {
            s.currentTerm[i] = try r.byte()
            guard let role = Role(rawValue: try r.byte()) else { throw ImageCursor.Invalid(offset: r.offset) }
            s.role[i] = role
            s.votedFor[i] = try r.byte()
            s.commitIndex[i] = try r.byte()
            s.votesResponded[i] = try r.byte()
            s.votesGranted[i] = try r.byte()
            s.voterDomain[i] = try r.byte()
            s.log[i] = try r.log()
        }
        for k in 0..<16 {
            s.voterLogs[k] = try r.log()
            s.nextIndex[k] = try r.byte()
            s.matchIndex[k] = try r.byte()
        }
        guard r.offset == bytes.count else { throw ImageCursor.Invalid(offset: r.offset) }
        return s
    }
}

private struct ImageBytes {
    var bytes: [UInt8]

    mutating func byte(_ value: UInt8) { bytes.append(value) }

    mutating func count(_ n: Int) {
        byte(UInt8(truncatingIfNeeded: n))
        byte(UInt8(truncatingIfNeeded: n >> 8))
    }

    mutating func log(_ log: Log) {
        for k in 0..<8 { byte(UInt8(truncatingIfNeeded: log.raw >> (8 * UInt64(k)))) }
    }

    mutating func message(_ m: Message) {
        for value in [m.kind.rawValue, m.term, m.source, m.dest, m.logTerm, m.index, m.commit, m.flag ? 1 : 0] { byte(value) }
        log(m.entries)
        log(m.log)
    }
}

private struct ImageCursor {
    /// Bytes that are not a state's image; `offset` is where reading failed.
    struct Invalid: Error, CustomStringConvertible {
        var offset: Int
        var description: String { "not a raft.tla state image (byte \(offset))" }
    }

    let bytes: UnsafeRawBufferPointer
    var offset = 0

    mutating func byte() throws -> UInt8 {
        guard offset < bytes.count else { throw Invalid(offset: offset) }
        defer { offset += 1 }
        return bytes[offset]
    }

    mutating func count() throws -> Int { Int(try byte()) | Int(try byte()) << 8 }

    mutating func log() throws -> Log {
        var raw: UInt64 = 0
        for k in 0..<8 { raw |= UInt64(try byte()) << (8 * UInt64(k)) }
        return Log(raw: raw)
    }

    mutating func message() throws -> Message {
        let kindByte = try byte()
        guard let kind = Message.Kind(rawValue: kindByte) else { throw Invalid(offset: offset - 1) }
        var m = Message(kind: kind, term: try byte(), source: try byte(), dest: try byte())
        m.logTerm = try byte()
        m.index = try byte()
        m.commit = try byte()
        m.flag = try byte() != 0
        m.entries = try log()
        m.log = try log()
        return m
    }
}
