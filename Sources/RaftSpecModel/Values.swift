/// A log: a sequence of entries [term, value], packed into one word. Bits 0–3 hold the length
/// (at most 7); entry k (1-based) is the byte at bits 8k: term in its low 5 bits, value (0-based)
/// in its high 3. Ordered by the raw word, which is all a canonical encoding needs.
public struct Log: Hashable, Comparable, Sendable {
    var raw: UInt64 = 0

    static let empty = Log()

    var count: Int { Int(raw & 0xF) }

    func entry(_ k: Int) -> UInt64 { (raw >> (8 * UInt64(k))) & 0xFF }
    func term(_ k: Int) -> UInt8 { UInt8(entry(k) & 0x1F) }

    /// LastTerm(log): the term of the last entry, 0 if empty.
    var lastTerm: UInt8 { count == 0 ? 0 : term(count) }

    func appending(term: UInt8, value: UInt8) -> Log {
        precondition(count < 7 && term < 32 && value < 8, "log entry out of the packed range")
        let k = UInt64(count + 1)
        var raw = (self.raw & ~0xF) | k
        raw |= (UInt64(term) | UInt64(value) << 5) << (8 * k)
        return Log(raw: raw)
    }

    func appending(entryOf other: Log, at k: Int) -> Log {
        let e = other.entry(k)
        return appending(term: UInt8(e & 0x1F), value: UInt8(e >> 5))
    }

    /// The log without its last entry.
    func droppingLast() -> Log {
        let k = UInt64(count)
        return Log(raw: (raw & ~(0xFF << (8 * k)) & ~0xF) | (k - 1))
    }

    /// SubSeq(log, from, to) for a range of at most one entry (all AppendEntries sends).
    func slice(from: Int, to: Int) -> Log {
        from > to ? .empty : Log.empty.appending(entryOf: self, at: from)
    }

    public static func < (a: Log, b: Log) -> Bool { a.raw < b.raw }
}

/// raft.tla's message records. The four kinds carry different fields; the ones a kind does not
/// have stay zero, so equal records are equal values.
public struct Message: Hashable, Comparable, Sendable {
    public enum Kind: UInt8, Sendable { case requestVoteRequest, requestVoteResponse, appendEntriesRequest, appendEntriesResponse }

    var kind: Kind
    var term: UInt8
    var source: UInt8
    var dest: UInt8
    /// mlastLogTerm (vote request) or mprevLogTerm (append request).
    var logTerm: UInt8 = 0
    /// mlastLogIndex, mprevLogIndex or mmatchIndex.
    var index: UInt8 = 0
    /// mcommitIndex (append request).
    var commit: UInt8 = 0
    /// mvoteGranted or msuccess.
    var flag = false
    /// mentries (append request, at most one entry).
    var entries = Log.empty
    /// mlog: a history field (vote response, append request); empty without history.
    var log = Log.empty

    /// The fixed-size fields in one word (source and destination as given, so relabeling can
    /// rewrite them).
    func head(source: UInt8, dest: UInt8) -> UInt64 {
        UInt64(kind.rawValue) | UInt64(term) << 8 | UInt64(source) << 16 | UInt64(dest) << 24
            | UInt64(logTerm) << 32 | UInt64(index) << 40 | UInt64(commit) << 48 | (flag ? 1 << 56 : 0)
    }

    public static func < (a: Message, b: Message) -> Bool {
        (a.head(source: a.source, dest: a.dest), a.entries.raw, a.log.raw)
            < (b.head(source: b.source, dest: b.dest), b.entries.raw, b.log.raw)
    }
}

/// One record of the `elections` history variable.
public struct Election: Equatable, Sendable {
    var term: UInt8
    var leader: UInt8
    var log: Log
    var votes: UInt8
    /// evoterLog: the logs of the voters in `voterDomain`.
    var voterDomain: UInt8
    var voterLogs: InlineArray<4, Log>

    public static func == (a: Election, b: Election) -> Bool {
        guard a.term == b.term, a.leader == b.leader, a.log == b.log, a.votes == b.votes,
              a.voterDomain == b.voterDomain else { return false }
        for j in 0..<4 where a.voterDomain & (1 << j) != 0 {
            if a.voterLogs[j] != b.voterLogs[j] { return false }
        }
        return true
    }
}
