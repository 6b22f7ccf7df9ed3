import RaftCore
import RaftExplorer

/// A check specification: the cluster, the Raft options, the events the explorer may choose,
/// the bounds, the properties and the search settings. Read from YAML (format in
/// specs/README.md) and embedded whole in every trace, so replay needs nothing else.
public struct Spec: Hashable, Codable, Sendable {
    public var name = "unnamed"
    /// Nodes in the cluster, all voters, IDs 1...nodes.
    public var nodes = 3
    public var raft = RaftOptions()
    public var events = EventOptions()
    public var bounds = Bounds()
    /// The `always` properties to check (default: every one).
    public var properties = PropertyName.allCases.map(\.rawValue)
    /// Node IDs are interchangeable: fingerprint each state's symmetry orbit.
    public var symmetry = true
    /// A bug-zoo mutation of RaftCore (`Mutation.named`), TEST-ONLY.
    public var mutation: String?
    public var search = SearchSettings()

    public init() {}

    public struct RaftOptions: Hashable, Codable, Sendable {
        public var preVote = false
        public var checkQuorum = false
        public var electionTicks = 3
        public var heartbeatTicks = 1
        public var maxInflight = 2
        /// Payload bytes per append; 0 sends one entry per message.
        public var maxSizePerMessage: UInt64?
        /// Seeds each node's election-timeout generator (mixed with its ID).
        public var seed: UInt64 = 0
        public init() {}
    }

    /// Which events the explorer may choose.
    public struct EventOptions: Hashable, Codable, Sendable {
        public var deliver = true
        public var drop = false
        public var duplicate = false
        /// Single ticks (every node's timers become part of the state space).
        public var tick = false
        /// Macro-step: a node ticks until its election timeout fires.
        public var timeout = true
        /// Macro-step: a leader ticks until it sends a heartbeat round.
        public var heartbeat = true
        public var crash = false
        public var restart = false
        /// A leader accepts the next client value.
        public var propose = true
        /// `atomic`: a node carries out each Ready at once after every input. `split`: sending,
        /// persisting, sending after persist, and applying are separate events, so a crash can
        /// fall between any two.
        public var readySteps = ReadySteps.atomic
        public init() {}
    }

    public enum ReadySteps: String, Hashable, Codable, Sendable, CaseIterable { case atomic, split }

    /// Limits on everything the state space can grow by.
    public struct Bounds: Hashable, Codable, Sendable {
        /// States where a node's term exceeds this are outside the boundary.
        public var maxTerm: UInt64 = 3
        /// Client values proposed in total.
        public var maxProposals = 1
        /// States with more messages in flight are outside the boundary.
        public var maxInFlight = 6
        public var maxCrashes = 0
        public var maxRestarts = 0
        public var maxDrops = 0
        public var maxDuplicates = 0
        /// Search depth (initial states are depth 1); nil: unbounded.
        public var maxDepth: Int?
        public init() {}
    }

    public enum Strategy: String, Hashable, Codable, Sendable, CaseIterable { case bfs, dfs }

    public struct SearchSettings: Hashable, Codable, Sendable {
        public var strategy = Strategy.bfs
        public var hashBits = HashWidth.bits64
        /// Budget: distinct states (nil: none).
        public var maxStates: Int?
        /// Budget: seconds (nil: none). Read by the command line only.
        public var timeLimit: Double?
        public init() {}
    }

    /// The mutation set this spec runs against.
    public var mutations: Mutation { mutation.flatMap(Mutation.init(name:)) ?? [] }

    public var nodeIDs: [NodeID] { (1...nodes).map { NodeID(UInt64($0)) } }

    /// The RaftCore configuration of node `id`.
    public func config(for id: NodeID, applied: LogIndex = .zero) -> Config {
        var config = Config(id: id)
        config.electionTicks = raft.electionTicks
        config.heartbeatTicks = raft.heartbeatTicks
        config.preVote = raft.preVote
        config.checkQuorum = raft.checkQuorum
        config.maxInflightMessages = raft.maxInflight
        config.maxSizePerMessage = raft.maxSizePerMessage ?? .max
        config.randomSeed = raft.seed
        config.mutations = mutations
        config.applied = applied
        return config
    }

    /// Why this spec cannot run, field by field (empty: it can).
    public func problems() -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        if !(1...7).contains(nodes) { problems.append(("nodes", "must be between 1 and 7")) }
        if raft.heartbeatTicks < 1 { problems.append(("raft.heartbeat_ticks", "must be at least 1")) }
        if raft.electionTicks <= raft.heartbeatTicks { problems.append(("raft.election_ticks", "must be greater than heartbeat_ticks")) }
        if raft.maxInflight < 1 { problems.append(("raft.max_inflight", "must be at least 1")) }
        if let mutation, Mutation(name: mutation) == nil {
            problems.append(("mutation", "unknown mutation '\(mutation)' (known: \(Mutation.named.map(\.name).joined(separator: ", ")))"))
        }
        for name in properties where PropertyName(rawValue: name) == nil {
            problems.append(("properties", "unknown property '\(name)' (known: \(PropertyName.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        if bounds.maxTerm < 1 { problems.append(("bounds.max_term", "must be at least 1")) }
        for (field, value) in [("bounds.max_proposals", bounds.maxProposals), ("bounds.max_in_flight", bounds.maxInFlight),
                               ("bounds.max_crashes", bounds.maxCrashes), ("bounds.max_restarts", bounds.maxRestarts),
                               ("bounds.max_drops", bounds.maxDrops), ("bounds.max_duplicates", bounds.maxDuplicates)]
        where !(0...255).contains(value) {
            problems.append((field, "must be between 0 and 255"))
        }
        if let depth = bounds.maxDepth, depth < 1 { problems.append(("bounds.max_depth", "must be at least 1")) }
        if let states = search.maxStates, states < 1 { problems.append(("search.max_states", "must be at least 1")) }
        if let limit = search.timeLimit, !(limit > 0) { problems.append(("search.time_limit", "must be positive")) }
        return problems
    }
}

/// The stable names of the properties, as used in specs, reports and traces.
public enum PropertyName: String, CaseIterable, Sendable, Codable {
    case electionSafety = "election_safety"
    case leaderAppendOnly = "leader_append_only"
    case logMatching = "log_matching"
    case leaderCompleteness = "leader_completeness"
    case stateMachineSafety = "state_machine_safety"
    case monotonicCommit = "monotonic_commit"
    case committedDurable = "committed_durable"
    case coreInvariants = "core_invariants"
}
