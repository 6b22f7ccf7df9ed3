/// The kinds of message nodes exchange, plus the application's local reports.
public enum MessageType: UInt8, Hashable, Sendable, CaseIterable, CustomStringConvertible {
    // Local: the application's reports (`RawNode.reportUnreachable`, `reportSnapshot`); never
    // cross the network, and `RawNode.step` refuses them.
    case unreachable, snapshotStatus
    // Client traffic, forwarded to the leader.
    case propose
    // Elections.
    case vote, voteResponse, preVote, preVoteResponse
    // Replication.
    case append, appendResponse, heartbeat, heartbeatResponse, snapshot
    // Leadership transfer and reads.
    case transferLeader, timeoutNow, readIndex, readIndexResponse

    public var isLocal: Bool {
        switch self {
        case .unreachable, .snapshotStatus: true
        default: false
        }
    }

    /// Responses that depend on durable state and so MUST NOT leave before the Ready that
    /// produced them is persisted (rule 1).
    public var needsPersistFirst: Bool {
        switch self {
        case .voteResponse, .preVoteResponse, .appendResponse: true
        default: false
        }
    }

    public var description: String {
        switch self {
        case .unreachable: "unreachable"
        case .snapshotStatus: "snapshot-status"
        case .propose: "propose"
        case .vote: "vote"
        case .voteResponse: "vote-response"
        case .preVote: "pre-vote"
        case .preVoteResponse: "pre-vote-response"
        case .append: "append"
        case .appendResponse: "append-response"
        case .heartbeat: "heartbeat"
        case .heartbeatResponse: "heartbeat-response"
        case .snapshot: "snapshot"
        case .transferLeader: "transfer-leader"
        case .timeoutNow: "timeout-now"
        case .readIndex: "read-index"
        case .readIndexResponse: "read-index-response"
        }
    }
}

/// A message between nodes (or from a node to itself). Field meanings depend on `type`:
///
/// - `vote`/`preVote`: `index`/`logTerm` are the candidate's last log index and term;
///   `campaignTransfer` marks a leadership-transfer campaign that overrides leader stickiness.
/// - `append`: `index`/`logTerm` are the entry preceding `entries`; `commit` the leader's commit.
/// - `appendResponse`: accepted: `index` is the last index now known to match. Rejected: `index`
///   is the rejected `append.index`, and `rejectHint`/`logTerm` point at the follower's
///   last entry that may match (fast backtracking).
/// - `heartbeat`: `commit` is `min(match, committed)` for the receiver; `context` is the leader's
///   read round, echoed by the response.
/// - `readIndex`/`readIndexResponse`: `context` is the client's request ID; `index` the read index.
public struct Message: Hashable, Sendable {
    public var type: MessageType
    public var from: NodeID
    public var to: NodeID
    public var term: Term
    public var logTerm: Term
    public var index: LogIndex
    /// Set at initialization, like `snapshot`.
    public var entries: [Entry] { payload?.entries ?? [] }
    public var commit: LogIndex
    public var snapshot: Snapshot? { payload?.snapshot }
    public var reject: Bool
    public var rejectHint: LogIndex
    public var context: UInt64
    public var campaignTransfer: Bool

    /// Entries and snapshot behind one optional reference, nil when both are empty (most
    /// messages): a message is copied several times per simulated event, and one without a
    /// payload copies without a retain. Equal and hashed by value.
    private final class Payload: Hashable, Sendable {
        let entries: [Entry]
        let snapshot: Snapshot?

        /// nil for no entries and no snapshot.
        static func make(entries: [Entry], snapshot: Snapshot?) -> Payload? {
            entries.isEmpty && snapshot == nil ? nil : Payload(entries: entries, snapshot: snapshot)
        }

        private init(entries: [Entry], snapshot: Snapshot?) {
            self.entries = entries
            self.snapshot = snapshot
        }

        static func == (a: Payload, b: Payload) -> Bool {
            a === b || (a.entries == b.entries && a.snapshot == b.snapshot)
        }

        func hash(into hasher: inout Hasher) {
            hasher.combine(entries)
            hasher.combine(snapshot)
        }
    }
    private let payload: Payload?

    public init(
        type: MessageType, from: NodeID = .none, to: NodeID = .none, term: Term = .zero,
        logTerm: Term = .zero, index: LogIndex = .zero, entries: [Entry] = [],
        commit: LogIndex = .zero, snapshot: Snapshot? = nil, reject: Bool = false,
        rejectHint: LogIndex = .zero, context: UInt64 = 0, campaignTransfer: Bool = false
    ) {
        self.type = type
        self.from = from
        self.to = to
        self.term = term
        self.logTerm = logTerm
        self.index = index
        self.payload = Payload.make(entries: entries, snapshot: snapshot)
        self.commit = commit
        self.reject = reject
        self.rejectHint = rejectHint
        self.context = context
        self.campaignTransfer = campaignTransfer
    }
}

extension Message: CustomStringConvertible {
    public var description: String {
        var s = "\(from)->\(to) \(type) term=\(term)"
        switch type {
        case .vote, .preVote:
            s += " last=\(index)@\(logTerm)"
            if campaignTransfer { s += " transfer" }
        case .append:
            s += " prev=\(index)@\(logTerm) commit=\(commit) entries=\(entries.map { "\($0.index)@\($0.term)" })"
        case .appendResponse:
            s += reject ? " reject index=\(index) hint=\(rejectHint)@\(logTerm)" : " index=\(index)"
        case .voteResponse, .preVoteResponse:
            s += reject ? " reject" : " grant"
        case .heartbeat:
            s += " commit=\(commit) ctx=\(context)"
        case .heartbeatResponse, .readIndex:
            s += " ctx=\(context)"
        case .readIndexResponse:
            s += " ctx=\(context) index=\(index)"
        case .snapshot:
            if let snapshot { s += " snapshot=\(snapshot.metadata.index)@\(snapshot.metadata.term)" }
        default:
            break
        }
        return s
    }
}
