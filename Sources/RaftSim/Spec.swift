@_spi(Checker) import RaftCore
import RaftExplorer

/// A check specification: the cluster, the Raft options, the events the explorer may choose,
/// the bounds, the properties and the search settings. Read from YAML (format in
/// specs/README.md) and embedded whole in every trace, so replay needs nothing else.
public struct Spec: Hashable, Encodable, Sendable {
    public var name = "unnamed"
    /// Nodes in the cluster, IDs 1...nodes.
    public var nodes = 3
    /// The initial voters, IDs 1...voters (nil: every node). The others start outside the
    /// configuration (knowing it) until a `reconfigure` event adds them.
    public var voters: Int?
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
    public var fuzz = FuzzSettings()
    /// Bounded liveness (nil: safety only): a `stabilize` event ends the faults, after which
    /// time runs in fair rounds and the cluster must elect a leader and replicate within the
    /// bounds (`ClusterModel`'s liveness rules).
    public var liveness: Liveness?

    public init() {}

    /// Whether nodes tick one tick at a time (`tick`, or the fair rounds after `stabilize`):
    /// then a node's randomized election timeout and its generator decide which node times out
    /// first, and belong to the state.
    public var singleTicks: Bool { events.tick || liveness != nil }

    /// What "eventually" means after `stabilize`, in rounds: in a round every up node ticks
    /// once, then every message that can be delivered is, and every Ready carried out, until
    /// nothing is left to do.
    public struct Liveness: Hashable, Encodable, Sendable {
        /// From this round's end on, one leader, followed by every member it reaches, must have
        /// led since this round or earlier, without a change.
        public var leaderWithin = 30
        /// This many rounds after a leader is followed, every member it reaches holds its whole
        /// log committed.
        public var commitWithin = 20
        /// `stabilize` restarts the nodes that are down and heals the network (true), or
        /// leaves them as they are (false: liveness is then owed only where the up nodes on
        /// one side hold a quorum, and messages that cannot arrive are lost).
        public var heal = true
        public init() {}

        /// The most either bound may be.
        public static let maxRounds = 1000
    }

    /// Random exploration: the walk length and the weight of each event kind.
    public struct FuzzSettings: Hashable, Encodable, Sendable {
        /// The longest walk of one run, in events.
        public var depth = 100
        /// Relative weights by event kind (`ClusterModel.actionKinds`); absent kinds keep their
        /// default weight.
        public var weights: [String: UInt64] = [:]
        /// Prefer successors never seen (`FuzzOptions.novelty`). Off where measured to cost
        /// more in walk speed than it gains in bugs found per walk.
        public var novelty = true
        /// Swarm runs pick their cluster size in `minNodes...nodes` (nil: `nodes` only); the
        /// smaller clusters take out the highest IDs (`Spec.removing(node:)`).
        public var minNodes: Int?
        /// Whether `check` (strategy: random) and `mutants` fuzz this spec in swarm mode, each
        /// run with a random subset of event kinds at random weights. Off: every run keeps
        /// `weights`, for scenarios that need all their kinds at once.
        public var swarm = true
        public init() {}
    }

    public struct RaftOptions: Hashable, Encodable, Sendable {
        public var preVote = false
        public var checkQuorum = false
        public var electionTicks = 3
        public var heartbeatTicks = 1
        public var maxInflight = 2
        /// Payload bytes per append; 0 sends one entry per message.
        public var maxSizePerMessage: UInt64?
        /// Seeds each node's election-timeout generator (mixed with its ID).
        public var seed: UInt64 = 0
        /// How a leader confirms a read: a heartbeat round (`safe`, ReadIndex) or its lease
        /// (`lease`, which needs `check_quorum`).
        public var readOnly = ReadMode.safe
        /// Clocks drift apart by at most this many ticks: no node's ticks may run more than
        /// `clockDrift` ahead of the slowest node that is up (single ticks only). The bound
        /// lease reads rely on (RaftCore's `maxClockDriftTicks`); nil: clocks run freely.
        public var clockDrift: Int?
        /// A leader removed from (or demoted in) the configuration steps down once the change
        /// is applied (RaftCore's `stepDownOnRemoval`); off, it leads on without counting itself.
        public var stepDownOnRemoval = false
        /// Payload bytes of committed entries one Ready hands out; 0 hands out one entry a
        /// Ready; nil: unlimited.
        public var maxCommittedSizePerReady: UInt64?
        /// Followers drop the proposals clients hand them instead of forwarding them to the
        /// leader (`events.forward` is what makes followers take proposals).
        public var disableProposalForwarding = false
        public init() {}
    }

    public enum ReadMode: String, Hashable, Codable, Sendable, CaseIterable { case safe, lease }

    /// Which events the explorer may choose.
    public struct EventOptions: Hashable, Encodable, Sendable {
        public var deliver = true
        public var drop = false
        public var duplicate = false
        /// Single ticks (every node's timers become part of the state space; after `stabilize`
        /// nodes tick singly whatever this says, see `singleTicks`).
        public var tick = false
        /// Macro-step: a node ticks until its election timeout fires.
        public var timeout = true
        /// Macro-step: a leader ticks until it sends a heartbeat round.
        public var heartbeat = true
        public var crash = false
        public var restart = false
        /// A leader accepts the next client value.
        public var propose = true
        /// A leader is asked for a linearizable read (bounded by max_reads).
        public var read = false
        /// A leader is asked for a single-step membership change (bounded by max_conf_changes):
        /// remove or demote a voter, promote or remove a learner, add an outsider as either.
        public var reconfigure = false
        /// The network splits the nodes into two sides (bounded by max_partitions); messages
        /// across the cut are not delivered until `heal` (they may still be dropped).
        public var partition = false
        /// The application snapshots its state machine and compacts the node's log (bounded by
        /// max_compactions); leaders then send snapshots to followers that need compacted
        /// entries, and report whether sending one finished or failed.
        public var compact = false
        /// Applying committed entries is an event of its own (`apply-entries`): a node takes
        /// messages, ticks and campaigns while entries handed out are not yet applied.
        public var asyncApply = false
        /// A leader is asked to hand leadership to a voter (bounded by max_transfers).
        public var transfer = false
        /// A leader is told a follower was unreachable (bounded by max_unreachable).
        public var unreachable = false
        /// Clients also ask nodes that do not lead: `propose`, `read` and `transfer` go to any
        /// node, and a follower forwards them to the leader it knows (a candidate, or a
        /// follower without a leader, refuses them).
        public var forward = false
        /// A leader is asked for two membership changes at once, through a joint configuration
        /// left automatically or explicitly (bounded by max_conf_changes, with `reconfigure`).
        public var joint = false
        /// With `reconfigure` or `joint`: the leader is also asked for changes the configuration
        /// in force does not admit (removing or demoting the last voter, entering a joint
        /// configuration while joint, leaving one while not), which it must turn into empty
        /// entries.
        public var anyChange = false
        /// `atomic`: a node carries out each Ready at once after every input. `split`: sending,
        /// persisting, sending after persist, and applying are separate events, so a crash can
        /// fall between any two. `pipelined`: as `split`, and the node takes input (messages,
        /// ticks, client requests) while its Ready is carried out, as an application whose
        /// Ready loop runs beside its node loop does.
        public var readySteps = ReadySteps.atomic
        public init() {}
    }

    public enum ReadySteps: String, Hashable, Codable, Sendable, CaseIterable { case atomic, split, pipelined }

    /// Limits on everything the state space can grow by.
    public struct Bounds: Hashable, Encodable, Sendable {
        /// States where a node's term exceeds this are outside the boundary.
        public var maxTerm: UInt64 = 3
        /// Client values proposed in total.
        public var maxProposals = 1
        /// Client reads requested in total.
        public var maxReads = 1
        /// Membership changes proposed in total.
        public var maxConfChanges = 1
        /// Log compactions in total.
        public var maxCompactions = 1
        /// Leadership transfers requested in total.
        public var maxTransfers = 1
        /// Unreachable reports in total.
        public var maxUnreachable = 1
        /// States with more messages in flight are outside the boundary.
        public var maxInFlight = 6
        public var maxCrashes = 0
        public var maxRestarts = 0
        public var maxDrops = 0
        public var maxDuplicates = 0
        public var maxPartitions = 0
        /// Search depth (initial states are depth 1); nil: unbounded.
        public var maxDepth: Int?
        public init() {}
    }

    /// How `check` searches: breadth-first (shortest counterexamples), depth-first within
    /// `max_depth`, or `random`: a seeded swarm campaign of the fuzzer (seed 1) for the time
    /// limit, for spaces too big to exhaust (TLC's simulation mode).
    public enum Strategy: String, Hashable, Codable, Sendable, CaseIterable { case bfs, dfs, random }

    public struct SearchSettings: Hashable, Encodable, Sendable {
        public var strategy = Strategy.bfs
        public var hashBits = HashWidth.bits64
        /// Budget: distinct states (nil: none).
        public var maxStates: Int?
        /// Budget: seconds (nil: none). Read by the command line only.
        public var timeLimit: Double?
        public init() {}
    }

    /// The clusters a swarm run picks from: this spec, then one node fewer at a time (highest ID
    /// first, so outsiders go before voters) down to `fuzz.minNodes`.
    public var swarmVariants: [Spec] {
        var variants = [self]
        while let last = variants.last, last.nodes > fuzz.minNodes ?? nodes, let smaller = last.removing(node: NodeID(UInt64(last.nodes))) {
            variants.append(smaller)
        }
        return variants
    }

    /// Runs against the mutation `name` instead of the spec's own ("none": the real core).
    public mutating func override(mutation name: String) { mutation = name == "none" ? nil : name }

    /// The mutation set this spec runs against.
    @_spi(Checker) public var mutations: Mutation { mutation.flatMap(Mutation.init(name:)) ?? [] }

    public var nodeIDs: [NodeID] { (1...nodes).map { NodeID(UInt64($0)) } }

    /// The initial configuration: nodes 1...voters.
    public var initialVoters: [NodeID] { Array(nodeIDs.prefix(voters ?? nodes)) }

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
        config.readOnlyOption = raft.readOnly == .lease ? .leaseBased : .safe
        config.maxClockDriftTicks = raft.clockDrift ?? 0
        config.stepDownOnRemoval = raft.stepDownOnRemoval
        config.maxCommittedSizePerReady = raft.maxCommittedSizePerReady ?? .max
        config.disableProposalForwarding = raft.disableProposalForwarding
        config.mutations = mutations
        config.applied = applied
        return config
    }

    /// The largest `raft.election_ticks` and `raft.heartbeat_ticks`.
    public static let maxTicks = 1000
    /// The largest weight of one event kind in `fuzz.weights` (their sum cannot overflow).
    public static let maxWeight: UInt64 = 1_000_000
    /// The longest `fuzz.depth`, in events.
    public static let maxFuzzDepth = 100_000

    /// Why this spec cannot run, field by field (empty: it can).
    public func problems() -> [(field: String, message: String)] {
        var problems: [(String, String)] = []
        if !(1...7).contains(nodes) { problems.append(("nodes", "must be between 1 and 7")) }
        if let voters, voters < 1 || voters > nodes { problems.append(("voters", "must be between 1 and nodes (\(nodes))")) }
        if events.anyChange && !events.reconfigure && !events.joint {
            problems.append(("events.any_change", "needs events.reconfigure or events.joint"))
        }
        for (field, on) in [("events.reconfigure", events.reconfigure), ("events.joint", events.joint)] where on && symmetry {
            // Configuration entries name nodes inside their payload, which relabeling leaves alone.
            problems.append((field, "needs symmetry: false (membership changes name nodes in log entries)"))
        }
        if raft.readOnly == .lease && !raft.checkQuorum {
            problems.append(("raft.read_only", "lease reads need check_quorum: true"))
        }
        if raft.readOnly == .lease && raft.clockDrift == nil {
            problems.append(("raft.read_only", "lease reads need raft.clock_drift (a lease is only as safe as the clocks)"))
        }
        if let drift = raft.clockDrift {
            if !(1...15).contains(drift) || 2 * drift >= raft.electionTicks {
                problems.append(("raft.clock_drift", "must be between 1 and 15, and less than half of election_ticks"))
            }
            if !events.tick || events.timeout || events.heartbeat {
                problems.append(("raft.clock_drift", "needs events.tick: true, timeout: false and heartbeat: false (macro-steps jump a clock ahead)"))
            }
        }
        // Ranges that keep one transition small: a timeout macro-step runs up to 2 × election_ticks ticks.
        if !(1...Self.maxTicks).contains(raft.heartbeatTicks) { problems.append(("raft.heartbeat_ticks", "must be between 1 and \(Self.maxTicks)")) }
        if !(2...Self.maxTicks).contains(raft.electionTicks) { problems.append(("raft.election_ticks", "must be between 2 and \(Self.maxTicks)")) }
        else if raft.electionTicks <= raft.heartbeatTicks { problems.append(("raft.election_ticks", "must be greater than heartbeat_ticks")) }
        if !(1...1024).contains(raft.maxInflight) { problems.append(("raft.max_inflight", "must be between 1 and 1024")) }
        if let mutation, Mutation(name: mutation) == nil {
            problems.append(("mutation", "unknown mutation '\(mutation)' (known: \(Mutation.named.map(\.name).joined(separator: ", ")))"))
        }
        for name in properties where PropertyName(rawValue: name) == nil {
            problems.append(("properties", "unknown property '\(name)' (known: \(PropertyName.allCases.map(\.rawValue).joined(separator: ", ")))"))
        }
        if bounds.maxTerm < 1 { problems.append(("bounds.max_term", "must be at least 1")) }
        for (field, value) in [("bounds.max_proposals", bounds.maxProposals), ("bounds.max_in_flight", bounds.maxInFlight),
                               ("bounds.max_crashes", bounds.maxCrashes), ("bounds.max_restarts", bounds.maxRestarts),
                               ("bounds.max_drops", bounds.maxDrops), ("bounds.max_duplicates", bounds.maxDuplicates),
                               ("bounds.max_partitions", bounds.maxPartitions),
                               ("bounds.max_reads", bounds.maxReads), ("bounds.max_conf_changes", bounds.maxConfChanges),
                               ("bounds.max_compactions", bounds.maxCompactions), ("bounds.max_transfers", bounds.maxTransfers),
                               ("bounds.max_unreachable", bounds.maxUnreachable)]
        where !(0...255).contains(value) {
            problems.append((field, "must be between 0 and 255"))
        }
        if let depth = bounds.maxDepth, depth < 1 { problems.append(("bounds.max_depth", "must be at least 1")) }
        if let states = search.maxStates, states < 1 { problems.append(("search.max_states", "must be at least 1")) }
        if let limit = search.timeLimit, !(limit > 0) { problems.append(("search.time_limit", "must be positive")) }
        if !(1...Self.maxFuzzDepth).contains(fuzz.depth) { problems.append(("fuzz.depth", "must be between 1 and \(Self.maxFuzzDepth)")) }
        if let minNodes = fuzz.minNodes, minNodes < 1 || minNodes > nodes {
            problems.append(("fuzz.min_nodes", "must be between 1 and nodes (\(nodes))"))
        }
        if let liveness {
            for (field, value) in [("liveness.leader_within", liveness.leaderWithin), ("liveness.commit_within", liveness.commitWithin)]
            where !(1...Liveness.maxRounds).contains(value) {
                problems.append((field, "must be between 1 and \(Liveness.maxRounds)"))
            }
            if !events.deliver { problems.append(("liveness", "needs events.deliver: true (fair rounds deliver every message)")) }
        }
        for kind in fuzz.weights.keys.sorted() where !ClusterModel.kinds.contains(kind) {
            problems.append(("fuzz.weights", "unknown event kind '\(kind)' (known: \(ClusterModel.kinds.joined(separator: ", ")))"))
        }
        for (kind, weight) in fuzz.weights.sorted(by: { $0.key < $1.key }) where weight > Self.maxWeight {
            problems.append(("fuzz.weights.\(kind)", "must be between 0 and \(Self.maxWeight)"))
        }
        return problems
    }
}

extension FuzzOptions {
    /// Random exploration as `spec` sets it up: its walk depth, novelty and fingerprint width.
    public init(spec: Spec, seed: UInt64, workers: Int) {
        self.init()
        self.seed = seed
        self.workers = workers
        depth = spec.fuzz.depth
        novelty = spec.fuzz.novelty
        hashWidth = spec.search.hashBits
    }
}

/// The stable names of the properties, as used in specs, reports and traces.
public enum PropertyName: String, CaseIterable, Sendable, Codable {
    case electionSafety = "election_safety"
    case oneVotePerTerm = "one_vote_per_term"
    case leaderAppendOnly = "leader_append_only"
    case logMatching = "log_matching"
    case leaderCompleteness = "leader_completeness"
    case stateMachineSafety = "state_machine_safety"
    case monotonicCommit = "monotonic_commit"
    case committedDurable = "committed_durable"
    case coreInvariants = "core_invariants"
    case linearizableReads = "linearizable_reads"
    /// The core and the model never trap; always checked, a trap ends the run with its trace
    /// (the name is RaftExplorer's `noTrapProperty`).
    case noTrap = "no_trap"
    /// Liveness (with `liveness`): a leader is elected, and stays, within the bound.
    case eventuallyLeader = "eventually_leader"
    /// Liveness (with `liveness`): a leader's log commits on every member it reaches.
    case eventuallyReplicated = "eventually_replicated"
    /// Liveness (with `liveness`): a leader followed that long takes clients' writes.
    case eventuallyWritable = "eventually_writable"
    /// Liveness (with `liveness`): a leader followed that long has left a joint configuration
    /// it was to leave on its own.
    case eventuallyLeftJoint = "eventually_left_joint"
    /// Liveness (with `liveness`): a read asked of a leader that still leads is answered
    /// within `commit_within` rounds.
    case eventuallyReadable = "eventually_readable"
}

