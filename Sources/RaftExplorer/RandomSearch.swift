import Dispatch
import Synchronization

/// Models random exploration can weigh by action kind (`Model.actionKinds`), and swarm runs
/// switch kinds off.
public protocol WeightedModel: Model {
    /// The default weight of each kind (same order as `actionKinds`).
    var defaultWeights: [UInt64] { get }
    /// The "thread" an action runs on, for PCT scheduling (for a cluster: the node that acts or
    /// receives), or nil for actions outside any thread.
    func thread(of action: Action) -> Int?
    /// The state's fingerprint and, if the encoding it hashes is canonical (the same for every
    /// state the fingerprint stands for), the relabeling that wrote the state as that encoding.
    /// Walks remember the transitions of states that have one (`TransitionCache`). Default:
    /// the fingerprint, no relabeling.
    func canonicalFingerprint(of state: State, width: HashWidth,
                              encoder: inout StateEncoder) -> (fingerprint: Fingerprint, relabeling: Relabeling?)
    /// Writes `action` with its nodes relabeled (as `canonicalFingerprint` relabels a state):
    /// two actions of one state write the same words only if they are the same action.
    /// Needed only by a model whose `canonicalFingerprint` gives relabelings.
    func encode(_ action: Action, relabeledBy relabeling: Relabeling, into encoder: inout StateEncoder)
}

extension WeightedModel {
    public func canonicalFingerprint(of state: State, width: HashWidth,
                                     encoder: inout StateEncoder) -> (fingerprint: Fingerprint, relabeling: Relabeling?) {
        (fingerprint(of: state, width: width, encoder: &encoder), nil)
    }

    public func encode(_ action: Action, relabeledBy relabeling: Relabeling, into encoder: inout StateEncoder) {
        preconditionFailure("a model whose canonicalFingerprint gives relabelings must encode its actions")
    }
}

/// Settings of a random exploration campaign.
public struct FuzzOptions: Sendable {
    /// Everything random derives from it.
    public var seed: UInt64 = 0
    /// Runs to do (nil: until stopped).
    public var runs: Int?
    /// The longest walk, in actions.
    public var depth = 100
    /// Threads; the result does not depend on it.
    public var workers = 1
    /// Each run picks, from its seed, which kinds are enabled and their weights, and which of
    /// the search's models (`RandomSearch.variants`) it walks.
    public var swarm = false
    /// Prefer successors whose fingerprints were never seen.
    public var novelty = true
    /// Fingerprint every state reached, to count distinct states (`FuzzStats.distinct`) and
    /// report the runs that found new ones. Without novelty it may be turned off: walks then
    /// skip the fingerprinting, and `distinct` counts only the initial states.
    public var countsDistinct = true
    /// PCT-style scheduling (Burckhardt et al. 2010): each run gives the threads random
    /// priorities and only the highest-priority thread with an enabled action moves; at
    /// `pctChangePoints` random steps the running thread drops to the lowest priority.
    public var pct = false
    public var pctChangePoints = 2
    /// Start three walks in four where an earlier walk first saw a state (replaying that walk
    /// up to it), not at the initial state, so walks reach past the states every walk from the
    /// start goes through (a fuzzer's corpus, of states). Needs fingerprints (`countsDistinct`
    /// or `novelty`); keeps each novel walk in memory as its choices (2 bytes per action).
    public var frontier = false
    public var hashWidth = HashWidth.bits64
    /// Each worker remembers up to 2^this transitions (48 bytes each: 12 MiB per worker by
    /// default; 0: none), so that a walk taking one again skips fingerprinting its successor
    /// (`TransitionCache`). Speed only: results do not depend on it.
    public var rememberedTransitionsLog2 = 18
    /// Each worker keeps up to 2^this states its walks retraced (with remembered transitions
    /// only; 0: none), so that a walk reaching one again takes it, neither computed nor
    /// checked (`StateCache`). An 8-byte slot each (allocated up front); a kept state costs a
    /// block (its listing and the state) and the buffers no other kept state shares, more as a
    /// campaign goes on: on `replication-3` at the default, 0.25 GB per worker after 100,000
    /// runs, 0.56 GB after 60 s, 0.72 GB after 3 min. Speed only: results do not depend on it.
    public var rememberedStatesLog2 = 20
    /// The first run (to continue a campaign), counted within the shard.
    public var firstRun = 0
    /// Which share of the campaign's runs this search does: run j of shard k of n is the
    /// campaign's run `j * n + k`, with that run's seed, so n searches with the same seed and
    /// shards 0..<n do the campaign's runs between them, each independently.
    public var shard = Shard(index: 0, count: 1)
    /// Report the runs that found new states with their walks (`FuzzRound.novelRuns`: a
    /// coverage corpus). Walks go as their choices; only a walk reported (this, or a violation)
    /// is rebuilt as actions, by replaying it: without this, walks never build their actions.
    public var reportsNovelRuns = true

    public init() {}
}

/// One of `count` equal shares of a campaign's runs (`FuzzOptions.shard`).
public struct Shard: Sendable, Equatable {
    public var index: Int
    public var count: Int

    /// The most shards a campaign splits into.
    public static let maxCount = 1 << 16

    public init(index: Int, count: Int) {
        precondition(count >= 1 && count <= Self.maxCount && (0..<count).contains(index), "a shard is k of n, 0 <= k < n")
        (self.index, self.count) = (index, count)
    }

    /// The campaign's run index of this shard's run `j`.
    public func run(_ j: Int) -> Int { j * count + index }
}

/// A violation found by a run: which run, its seed, the model it walked (an index into
/// `RandomSearch.variants`), and the walk.
public struct FuzzViolation<Action: Sendable>: Sendable {
    public var property: String
    public var run: Int
    public var runSeed: UInt64
    public var variant: Int
    public var actions: [Action]
}

public struct FuzzStats: Sendable, Equatable {
    public var runs = 0
    /// Actions taken over all runs (not those that replay a frontier walk's prefix).
    public var events = 0
    /// Distinct states seen (by fingerprint).
    public var distinct = 0
    public var maxDepth = 0
    /// By action kind, over the runs counted (not the steps that replay a frontier prefix).
    public var coverage = EventCoverage(kinds: [])
}

public struct FuzzReport<Action: Sendable>: Sendable {
    public var stats: FuzzStats
    public var violation: FuzzViolation<Action>?
    public var stopped: Bool
    /// The run the campaign would continue with, counted within the shard.
    public var nextRun: Int
}

/// What one round of runs found: the runs that reached states never seen before, with their
/// models and walks (a coverage corpus), and where the campaign stands.
public struct FuzzRound<Action: Sendable>: Sendable {
    public var stats: FuzzStats
    /// By the campaign's run index (`Shard.run`).
    public var novelRuns: [(run: Int, variant: Int, actions: [Action])]
    /// Counted within the shard.
    public var nextRun: Int
}

/// Seeded random walks from the initial state, `depth` actions at most, checking every
/// property on every state. Runs go in rounds (`roundSize`): the runs of a round walk in
/// parallel against the fingerprints seen before the round, then their discoveries merge in
/// run order, so the result (the first violating run, the counts) does not depend on the number
/// of workers.
public final class RandomSearch<M: WeightedModel>: @unchecked Sendable {
    /// The models runs walk: the first, or with swarm one picked per run (say, the same cluster
    /// in several sizes).
    public let variants: [M]
    public let options: FuzzOptions
    public let seen: FingerprintSet
    /// Each variant's `always` properties.
    private let always: [[Property<M.State>]]
    /// Per worker, each variant's initial state, where every walk starts: built once (building
    /// one runs the core), a copy per worker, since a state shared between threads would have
    /// its buffers' reference counts passed between cores on every copy a walk makes.
    private let initial: [[M.State]]
    /// Each variant's initial fingerprint and canonicalizing relabeling.
    private let initialCanonical: [(fingerprint: Fingerprint, relabeling: Relabeling?)]
    /// Per worker, the transitions its walks learned (nil: none remembered).
    private let transitions: [TransitionCache?]
    /// Per worker, the states its walks retraced (nil when transitions are not remembered).
    private let states: [StateCache<M.State>?]
    /// How many candidates the workers' caches answered for, dropped or not (a measure, not a
    /// result: it depends on the workers).
    var rememberedSuccessors: Int { transitions.reduce(0) { $0 + ($1?.hits ?? 0) } }
    /// How many states walks took from the workers' kept states (a measure, like
    /// `rememberedSuccessors`).
    var reusedStates: Int { states.reduce(0) { $0 + ($1?.hits ?? 0) } }
    /// Runs per round: 64, fewer for walks longer than 1,000 events, so a round (between which
    /// `shouldStop` is asked) stays within about 64,000 events: well under a second.
    private var roundSize: Int { max(1, min(64, 64_000 / options.depth)) }
    /// Set when `shouldStop` says stop in the middle of a round: its walks end early, and the
    /// round is given up whole (the campaign's next run is the round's first), so what a run
    /// does never depends on when it was stopped.
    private let abandoned = Atomic<Bool>(false)
    /// `shouldStop`, asked by one walking thread at a time (the first worker's).
    private struct Poll: @unchecked Sendable { let shouldStop: () -> Bool }
    /// Steps between two askings of `shouldStop` inside a walk.
    private static var pollInterval: Int { 1024 }
    /// With `options.frontier`: the walks that saw states first, in run order, and those states,
    /// each as a walk (an index into `frontierWalks`) and its length there. Changed between
    /// rounds only, so a run's start depends on the runs before its round, not on the workers.
    /// A walk is kept as its choices: at each step, the index of its action among those the
    /// model lists (an action is far larger, and replaying lists them anyway).
    private var frontierWalks: [(variant: Int, choices: [UInt16])] = []
    private var frontierStates: [(walk: Int32, length: Int32)] = []

    public init(model: M, options: FuzzOptions, swarmVariants: [M] = []) {
        let variants = [model] + (options.swarm ? swarmVariants : [])
        self.variants = variants
        self.options = options
        seen = FingerprintSet(width: options.hashWidth)
        always = variants.map { $0.properties.filter { $0.expectation == .always } }
        initial = (0..<max(options.workers, 1)).map { _ in variants.map { $0.initialStates[0] } }
        var encoder = StateEncoder()
        initialCanonical = zip(variants, initial[0]).map { $0.canonicalFingerprint(of: $1, width: options.hashWidth, encoder: &encoder) }
        let remembers = options.rememberedTransitionsLog2 > 0 && (options.novelty || options.countsDistinct)
        transitions = (0..<max(options.workers, 1)).map { _ in
            remembers ? TransitionCache(log2Entries: options.rememberedTransitionsLog2) : nil
        }
        states = (0..<max(options.workers, 1)).map { _ in
            remembers && options.rememberedStatesLog2 > 0 ? StateCache(log2Entries: options.rememberedStatesLog2) : nil
        }
    }

    /// Called from the trap handler (`TrapCatcher`) with the run whose step trapped, as a
    /// violation of `noTrapProperty`, and the signal; the process then exits. With several
    /// workers, the first run to trap is reported, not necessarily the lowest. Nil: traps are
    /// not caught.
    public var onTrap: ((FuzzViolation<M.Action>, Int32) -> Void)?

    private struct Walk {
        var variant = 0
        /// Each action's index among the actions the model listed for its step.
        var choices: [UInt16] = []
        /// The actions, rebuilt from `choices` only for a walk reported (a violation, or a
        /// novel run with `options.reportsNovelRuns`).
        var actions: [M.Action] = []
        /// The fingerprints of the states reached that the seen set was not known to hold (as
        /// of the round's start), in order, each with the walk's length on reaching it: novelty
        /// also avoids these, and the merge inserts only these (it holds the others).
        var unseen: [(fingerprint: Fingerprint, length: Int32)] = []
        /// The kind of the action that reached each of `unseen`.
        var unseenKinds: [UInt8] = []
        /// How often each kind was enabled (the first `actionKinds.count` counts), then taken.
        var kindCounts: [Int] = []
        var violation: String?
        /// How many of `choices` replay a frontier walk's prefix.
        var prefix = 0
    }

    /// Marks fingerprints as seen without counting a run (to resume a campaign from its corpus).
    public func remember(_ actions: [M.Action], variant: Int = 0) {
        let model = variants[variant]
        var state = initial[0][variant]
        var encoder = StateEncoder()
        seen.insert(model.fingerprint(of: state, width: options.hashWidth, encoder: &encoder))
        var firstSeen: [Int] = [], choices: [UInt16] = [], enabled: [M.Action] = []
        for (step, action) in actions.enumerated() {
            if options.frontier {
                enabled.removeAll(keepingCapacity: true)
                model.actions(of: state, into: &enabled)
                guard let choice = enabled.firstIndex(of: action) else { break }
                choices.append(UInt16(choice))
            }
            guard let next = model.nextState(after: state, action: action) else { break }
            state = next
            if seen.insert(model.fingerprint(of: state, width: options.hashWidth, encoder: &encoder)) { firstSeen.append(step + 1) }
        }
        extendFrontier(variant: variant, choices: choices, firstSeen: firstSeen)
    }

    /// Adds a walk that saw states first, after the numbers of actions `firstSeen` (none:
    /// nothing to add).
    private func extendFrontier(variant: Int, choices: [UInt16], firstSeen: [Int]) {
        guard options.frontier && !firstSeen.isEmpty else { return }
        let walk = Int32(frontierWalks.count)
        frontierWalks.append((variant, choices))
        frontierStates.append(contentsOf: firstSeen.map { (walk, Int32($0)) })
    }

    /// Where a walk starts instead of the initial state (three walks in four, once there is a
    /// frontier): a frontier state, as the variant and the choices that reach it.
    private func frontierStart(_ rng: inout Xoshiro256) -> (variant: Int, choices: ArraySlice<UInt16>)? {
        guard options.frontier && !frontierStates.isEmpty && rng.next(below: 4) < 3 else { return nil }
        let state = frontierStates[Int(rng.next(below: UInt64(frontierStates.count)))]
        let walk = frontierWalks[Int(state.walk)]
        return (walk.variant, walk.choices.prefix(Int(state.length)))
    }

    /// Runs the campaign; `onRound` hears after every round (to save the corpus), before
    /// `shouldStop` is asked.
    public func run(shouldStop: () -> Bool = { false }, onRound: (FuzzRound<M.Action>) -> Void = { _ in }) -> FuzzReport<M.Action> {
        var stats = FuzzStats()
        stats.coverage = EventCoverage(kinds: variants[0].actionKinds)
        var encoder = StateEncoder()
        for (model, state) in zip(variants, initial[0]) where seen.insert(model.fingerprint(of: state, width: options.hashWidth, encoder: &encoder)) {
            stats.distinct += 1
        }
        var next = options.firstRun
        while options.runs.map({ next < options.firstRun + $0 }) ?? true {
            let end = options.runs.map { min(next + roundSize, options.firstRun + $0) } ?? next + roundSize
            // The campaign's run indexes of this shard's runs `next..<end`.
            let indexes = (next..<end).map(options.shard.run)
            abandoned.store(false, ordering: .relaxed)
            let walks = withoutActuallyEscaping(shouldStop) { walkAll(indexes, poll: Poll(shouldStop: $0)) }
            if abandoned.load(ordering: .relaxed) { return FuzzReport(stats: stats, violation: nil, stopped: true, nextRun: next) }
            var novel: [(run: Int, variant: Int, actions: [M.Action])] = []
            for (j, (run, walk)) in zip(next..<end, zip(indexes, walks)) {
                stats.runs += 1
                stats.events += walk.choices.count - walk.prefix
                stats.maxDepth = max(stats.maxDepth, walk.choices.count)
                var firstSeen: [Int] = []
                stats.coverage.add(enabledThenTaken: walk.kindCounts)
                for ((fp, length), kind) in zip(walk.unseen, walk.unseenKinds) where seen.insert(fp) {
                    stats.distinct += 1
                    stats.coverage.new(Int(kind))
                    firstSeen.append(Int(length))
                }
                if !firstSeen.isEmpty {
                    if options.reportsNovelRuns { novel.append((run, walk.variant, walk.actions)) }
                    extendFrontier(variant: walk.variant, choices: walk.choices, firstSeen: firstSeen)
                }
                if let property = walk.violation {
                    onRound(FuzzRound(stats: stats, novelRuns: novel, nextRun: j + 1))
                    let violation = FuzzViolation(property: property, run: run, runSeed: runSeed(options.seed, run),
                                                  variant: walk.variant, actions: walk.actions)
                    return FuzzReport(stats: stats, violation: violation, stopped: false, nextRun: j + 1)
                }
            }
            next = end
            onRound(FuzzRound(stats: stats, novelRuns: novel, nextRun: next))
            if shouldStop() { return FuzzReport(stats: stats, violation: nil, stopped: true, nextRun: next) }
        }
        return FuzzReport(stats: stats, violation: nil, stopped: false, nextRun: next)
    }

    /// What a walk computes, for a trap's report: its run, its variant and its choices so far
    /// (the step being computed not included).
    final class WalkWitness: TrapCatcher.Witness, @unchecked Sendable {
        var run = 0
        var variant = 0
        var choices: [UInt16] = []
    }

    /// A witness for a worker walking from `initial`, if traps are caught.
    private func witness(initial: [M.State]) -> WalkWitness? {
        guard let onTrap else { return nil }
        return WalkWitness { [self] witness, signal in
            let walk = unsafeDowncast(witness, to: WalkWitness.self)
            let model = variants[walk.variant]
            var (actions, state) = model.replay(walk.choices, from: initial[walk.variant])
            var enabled: [M.Action] = []
            model.actions(of: state, into: &enabled)
            actions.append(enabled[walk.action])
            onTrap(FuzzViolation(property: noTrapProperty, run: walk.run, runSeed: runSeed(options.seed, walk.run),
                                 variant: walk.variant, actions: actions), signal)
        }
    }

    private func walkAll(_ runs: [Int], poll: Poll) -> [Walk] {
        guard options.workers > 1 else {
            let witness = witness(initial: initial[0])
            return TrapCatcher.watching(witness) {
                runs.map { walk($0, initial: initial[0], transitions: transitions[0], states: states[0], poll: poll, witness: witness) }
            }
        }
        return [Walk](unsafeUninitializedCapacity: runs.count) { buffer, initialized in
            buffer.initialize(repeating: Walk())
            initialized = runs.count
            let box = WalkBox(buffer: buffer)
            // Each worker takes the next run as it finishes one (walks differ in length), from
            // its own initial states. A walk depends only on its run and on what earlier rounds
            // found, so the result does not depend on who walks what.
            let next = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: min(options.workers, runs.count)) { w in
                let witness = self.witness(initial: self.initial[w])
                TrapCatcher.watching(witness) {
                    while true {
                        let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                        guard i < runs.count else { break }
                        box.buffer[i] = self.walk(runs[i], initial: self.initial[w], transitions: self.transitions[w], states: self.states[w],
                                                  poll: w == 0 ? poll : nil, witness: witness)
                    }
                }
            }
        }
    }

    private struct WalkBox: @unchecked Sendable { let buffer: UnsafeMutableBufferPointer<Walk> }

    /// One run: a walk from `initial` (a worker's initial states of the variants) whose every
    /// choice comes from the run's own seed (`WalkPolicy`), moving a `WalkCursor` over the
    /// worker's `transitions` and `states`. With `poll`, it asks whether to stop now and then,
    /// and ends early (see `abandoned`).
    private func walk(_ run: Int, initial: [M.State], transitions: TransitionCache?, states: StateCache<M.State>?, poll: Poll?,
                      witness: WalkWitness?) -> Walk {
        var rng = Xoshiro256(seed: runSeed(options.seed, run))
        var result = Walk()
        // One model only: no draw, so a swarm campaign's runs stay as they were without variants.
        if variants.count > 1 { result.variant = Int(rng.next(below: UInt64(variants.count))) }
        let start = frontierStart(&rng)
        if let start { result.variant = start.variant }
        let model = variants[result.variant]
        let kindCount = model.actionKinds.count
        // Counted in a local (the walk's hottest loop), handed to the walk at its end.
        var kindCounts = [Int](repeating: 0, count: 2 * kindCount)
        var policy = WalkPolicy(model: model, options: options, prefix: start?.choices.count ?? 0, rng: &rng)
        var cursor = WalkCursor(model: model, variant: result.variant, state: initial[result.variant], always: always[result.variant],
                                canonical: transitions == nil ? nil : initialCanonical[result.variant], width: options.hashWidth,
                                fingerprinting: options.novelty || options.countsDistinct, transitions: transitions, states: states,
                                witness: witness)
        if let witness {
            (witness.run, witness.variant, witness.action) = (run, result.variant, -1)
            witness.choices.removeAll(keepingCapacity: true)
        }
        if let start {
            cursor.replay(start.choices)
            (result.choices, result.prefix) = (Array(start.choices), start.choices.count)
            witness?.choices.append(contentsOf: start.choices)
        }
        cursor.settleStart()
        // Room for a typical walk at once (a deep one grows as it goes).
        result.choices.reserveCapacity(min(options.depth, 256))
        if cursor.fingerprinting { result.unseen.reserveCapacity(min(options.depth, 256)) }
        for step in result.prefix..<max(result.prefix, options.depth) {
            if (step - result.prefix) % Self.pollInterval == Self.pollInterval - 1 {
                if let poll, poll.shouldStop() { abandoned.store(true, ordering: .relaxed) }
                if abandoned.load(ordering: .relaxed) { return result }
            }
            let listing = cursor.listing()
            let kinds = listing.kinds
            kindCounts.withUnsafeMutableBufferPointer { counts in
                for kind in kinds { counts[Int(kind)] &+= 1 }
            }
            guard var pick = policy.pick(at: step, in: listing, cursor: &cursor, rng: &rng, seen: seen, walked: result.unseen) else { break }
            result.choices.append(UInt16(pick.index))
            kindCounts[kindCount + Int(kinds[pick.index])] &+= 1
            if let fp = pick.fingerprint, !pick.seen {
                result.unseen.append((fp, Int32(result.choices.count)))
                result.unseenKinds.append(kinds[pick.index])
            }
            if let property = cursor.move(to: &pick, from: listing) {
                result.violation = property
                break
            }
            if let witness {
                witness.choices.append(UInt16(pick.index))
                witness.action = -1
            }
        }
        // Rebuilt only if reported: a violation, or a run that may have found new states (one of
        // its states was not seen before its round; the merge tells for sure).
        if result.violation != nil || options.reportsNovelRuns && result.unseen.contains(where: { !seen.contains($0.fingerprint) }) {
            result.actions = model.replay(result.choices, from: initial[result.variant]).actions
        }
        result.kindCounts = kindCounts
        return result
    }
}
