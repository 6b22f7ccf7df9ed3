import RaftCore

/// Why a server request did not succeed.
public enum ServerError: Error, Equatable, Sendable, CustomStringConvertible {
    /// This server does not lead: ask `leader` (`.none` while none is known).
    case notLeader(leader: NodeID)
    /// The request was certainly not carried out: another leader's entry took its index, or
    /// the node dropped it (no leader, a transfer under way, a change already pending).
    case dropped
    /// The request may or may not have been carried out: a snapshot from the leader covered
    /// its index, or it timed out, or the server stopped.
    case outcomeUnknown
    /// A membership change that does not fit the configuration; nothing changed.
    case changeRefused(String)
    /// The leadership transfer ended with another leader, or was abandoned.
    case transferFailed
    /// A committed configuration change does not decode: the log is damaged.
    case undecodable(LogIndex)
    /// No answer in time: a write may or may not have been carried out.
    case timedOut
    /// The node stopped (asked to, or a store failed), for this reason.
    case stopped(String)

    public var description: String {
        switch self {
        case .notLeader(let leader): leader == .none ? "no leader is known" : "not the leader; the leader is \(leader)"
        case .dropped: "not carried out"
        case .outcomeUnknown: "outcome unknown: it may or may not have been carried out"
        case .changeRefused(let why): "membership change refused: \(why)"
        case .transferFailed: "leadership transfer failed"
        case .undecodable(let index): "the configuration change at index \(index) does not decode"
        case .timedOut: "timed out: it may or may not have been carried out"
        case .stopped(let why): "the node stopped: \(why)"
        }
    }
}

/// Names one request, so its owner can abandon it (on a timeout).
public struct RequestID: Hashable, Sendable {
    let value: UInt64
}

/// What a server waits on for its callers: writes by the log position they were proposed at,
/// reads by their ReadIndex context, a leadership transfer by its target. Every request ends
/// exactly once: completed, failed, or abandoned by its owner.
struct Requests {
    typealias WriteDone = (Result<[UInt8], ServerError>) -> Void
    typealias ReadDone = (Result<LogIndex, ServerError>) -> Void

    struct Write {
        let id: RequestID
        let index: LogIndex
        let term: Term
        let isConfChange: Bool
        let done: WriteDone
    }

    struct Read {
        let id: RequestID
        /// The leader (and term) it was asked of.
        let leader: NodeID
        let term: Term
        /// Known once the leader confirmed it; the read is answered when this is applied.
        var index: LogIndex?
        let done: ReadDone
    }

    struct Transfer {
        let id: RequestID
        let target: NodeID
        let done: (Result<Void, ServerError>) -> Void
    }

    private var next: UInt64 = 0
    /// Ascending by index. (A leader re-elected after its log was cut back proposes below
    /// writes it proposed before; those wait at their own index.)
    private(set) var writes: [Write] = []
    /// Ascending by id, which is also the ReadIndex context.
    private(set) var reads: [Read] = []
    private(set) var transfer: Transfer?

    /// The server's `Incarnation`, the high 32 bits of every ID it hands out.
    let incarnation: UInt64

    init(incarnation: UInt64) { self.incarnation = incarnation }

    /// A new ID: the incarnation, then a counter (which wraps after 2^32 requests, by when the
    /// first are long settled).
    mutating func newID() -> RequestID {
        next = (next + 1) & 0xFFFF_FFFF
        return RequestID(value: incarnation << 32 | next)
    }

    mutating func addWrite(_ write: Write) {
        writes.insert(write, at: writes.lastIndex { $0.index <= write.index }.map { $0 + 1 } ?? 0)
    }
    mutating func addRead(_ read: Read) { reads.append(read) }

    /// Replaces a transfer still waiting, which fails.
    mutating func setTransfer(_ transfer: Transfer) {
        self.transfer?.done(.failure(.transferFailed))
        self.transfer = transfer
    }

    /// The entry at `entry.index` was applied with `result`; the write proposed at that index
    /// succeeds if the entry is the one proposed.
    mutating func applied(_ entry: Entry, result: Result<[UInt8], ServerError>) {
        while let first = writes.first, first.index <= entry.index {
            writes.removeFirst()
            if first.index < entry.index { first.done(.failure(.outcomeUnknown)); continue }
            if first.term != entry.term {
                first.done(.failure(.dropped))
            } else if first.isConfChange && entry.kind != .confChange {
                first.done(.failure(.changeRefused("the leader refused it: another change is pending, or it does not fit")))
            } else {
                first.done(result)
            }
        }
    }

    /// A snapshot through `index` replaced the state machine: writes it covers may or may not
    /// be in it.
    mutating func skipped(through index: LogIndex) {
        while let first = writes.first, first.index <= index {
            writes.removeFirst()
            first.done(.failure(.outcomeUnknown))
        }
    }

    /// The leader confirmed the reads with these contexts at these indexes.
    mutating func confirmed(_ states: [ReadState]) {
        for state in states {
            guard let i = reads.firstIndex(where: { $0.id.value == state.requestContext }) else { continue }
            reads[i].index = state.index
        }
    }

    /// The leader is now `leader` in `term`: reads not yet confirmed that were asked of
    /// another were lost with that leader's pending requests, and fail.
    mutating func leaderChanged(to leader: NodeID, term: Term) {
        let isLost = { (read: Read) in read.index == nil && (read.leader != leader || read.term != term) }
        guard reads.contains(where: isLost) else { return }
        let lost = reads.filter(isLost)
        reads.removeAll(where: isLost)
        for read in lost { read.done(.failure(.dropped)) }
    }

    /// Answers the confirmed reads whose index the state machine reached.
    mutating func answerReads(applied: LogIndex) {
        let isReady = { (read: Read) in read.index.map { $0 <= applied } ?? false }
        guard reads.contains(where: isReady) else { return }
        let ready = reads.filter(isReady)
        reads.removeAll(where: isReady)
        for read in ready { read.done(.success(read.index!)) }
    }

    /// Settles the transfer once the leader is known to be the target, or known not to be.
    mutating func checkTransfer(leader: NodeID, isLeader: Bool, transferee: NodeID) {
        guard let waiting = transfer else { return }
        if leader == waiting.target {
            transfer = nil
            waiting.done(.success(()))
        } else if (isLeader && transferee != waiting.target) || (!isLeader && leader != .none) {
            transfer = nil
            waiting.done(.failure(.transferFailed))
        }
    }

    /// Ends one request with `error`, if it is still waiting.
    mutating func abandon(_ id: RequestID, _ error: ServerError) {
        if let i = writes.firstIndex(where: { $0.id == id }) {
            writes.remove(at: i).done(.failure(error))
        } else if let i = reads.firstIndex(where: { $0.id == id }) {
            reads.remove(at: i).done(.failure(error))
        } else if let waiting = transfer, waiting.id == id {
            transfer = nil
            waiting.done(.failure(error))
        }
    }

    /// Ends every request with `error` (the server stops).
    mutating func abandonAll(_ error: ServerError) {
        let (w, r, t) = (writes, reads, transfer)
        (writes, reads, transfer) = ([], [], nil)
        for write in w { write.done(.failure(error)) }
        for read in r { read.done(.failure(error)) }
        t?.done(.failure(error))
    }

    var count: Int { writes.count + reads.count + (transfer == nil ? 0 : 1) }

    func isWaiting(for id: RequestID) -> Bool {
        writes.contains { $0.id == id } || reads.contains { $0.id == id } || transfer?.id == id
    }
}
