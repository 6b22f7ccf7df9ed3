import RaftExplorer

/// The bounds and switches of a check of Ongaro's raft.tla (see `RaftTLAModel`), matching the
/// constants of MCraft.tla: Server = {s1..servers}, Value = {v1..values}, and the state
/// constraint MaxTerm / MaxLogLen / MaxMsgs / MaxDup.
public struct RaftTLASpec: Hashable, Codable, Sendable {
    public var name = "raft-tla"
    public var servers = 3
    public var values = 1
    public var maxTerm = 2
    public var maxLog = 1
    public var maxMessages = 1
    public var maxDuplicates = 1
    /// SYMMETRY Permutations(Server): count one state per orbit.
    public var symmetry = false
    /// Keep raft.tla's proof-only history variables (`elections`, `allLogs`, `voterLog`, and
    /// the `mlog` field of messages); false is MCraftView.tla's VIEW that projects them away.
    public var history = true
    public var search = SearchSettings()

    public init() {}

    public struct SearchSettings: Hashable, Codable, Sendable {
        public var hashBits = HashWidth.bits64
        public var maxStates: Int?
        public var timeLimit: Double?
        public init() {}
    }

    /// Why this spec cannot run, field by field (empty: it can). The limits keep every value
    /// inside the packed encodings (a log is at most 7 entries of 5-bit terms and 3-bit values).
    public func problems() -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        if !(1...4).contains(servers) { problems.append(("servers", "must be between 1 and 4")) }
        if !(1...7).contains(values) { problems.append(("values", "must be between 1 and 7")) }
        if !(1...30).contains(maxTerm) { problems.append(("max_term", "must be between 1 and 30")) }
        if !(0...6).contains(maxLog) { problems.append(("max_log", "must be between 0 and 6")) }
        if !(0...50).contains(maxMessages) { problems.append(("max_messages", "must be between 0 and 50")) }
        if !(1...50).contains(maxDuplicates) { problems.append(("max_duplicates", "must be between 1 and 50")) }
        if let states = search.maxStates, states < 1 { problems.append(("search.max_states", "must be at least 1")) }
        if let limit = search.timeLimit, !(limit > 0) { problems.append(("search.time_limit", "must be positive")) }
        return problems
    }
}
