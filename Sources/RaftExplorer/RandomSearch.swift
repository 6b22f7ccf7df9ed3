import Dispatch
import Synchronization

/// Models whose actions fall into named kinds, so random exploration can weigh them (and swarm
/// runs switch kinds off). The default: one kind.
public protocol WeightedModel: Model {
    /// The names of the action kinds, in a fixed order.
    var actionKinds: [String] { get }
    /// The kind of `action`: an index into `actionKinds`.
    func kind(of action: Action) -> Int
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
    /// The first run (to continue a campaign).
    public var firstRun = 0
    /// Report the runs that found new states with their walks (`FuzzRound.novelRuns`: a
    /// coverage corpus). Walks go as their choices; only a walk reported (this, or a violation)
    /// is rebuilt as actions, by replaying it: without this, walks never build their actions.
    public var reportsNovelRuns = true

    public init() {}
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
}

public struct FuzzReport<Action: Sendable>: Sendable {
    public var stats: FuzzStats
    public var violation: FuzzViolation<Action>?
    public var stopped: Bool
    /// The run the campaign would continue with.
    public var nextRun: Int
}

/// What one round of runs found: the runs that reached states never seen before, with their
/// models and walks (a coverage corpus), and where the campaign stands.
public struct FuzzRound<Action: Sendable>: Sendable {
    public var stats: FuzzStats
    public var novelRuns: [(run: Int, variant: Int, actions: [Action])]
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
        var encoder = StateEncoder()
        for (model, state) in zip(variants, initial[0]) where seen.insert(model.fingerprint(of: state, width: options.hashWidth, encoder: &encoder)) {
            stats.distinct += 1
        }
        var next = options.firstRun
        while options.runs.map({ next < options.firstRun + $0 }) ?? true {
            let end = options.runs.map { min(next + roundSize, options.firstRun + $0) } ?? next + roundSize
            let indexes = Array(next..<end)
            abandoned.store(false, ordering: .relaxed)
            let walks = withoutActuallyEscaping(shouldStop) { walkAll(indexes, poll: Poll(shouldStop: $0)) }
            if abandoned.load(ordering: .relaxed) { return FuzzReport(stats: stats, violation: nil, stopped: true, nextRun: next) }
            var novel: [(run: Int, variant: Int, actions: [M.Action])] = []
            for (run, walk) in zip(indexes, walks) {
                stats.runs += 1
                stats.events += walk.choices.count - walk.prefix
                stats.maxDepth = max(stats.maxDepth, walk.choices.count)
                var firstSeen: [Int] = []
                for (fp, length) in walk.unseen where seen.insert(fp) {
                    stats.distinct += 1
                    firstSeen.append(Int(length))
                }
                if !firstSeen.isEmpty {
                    if options.reportsNovelRuns { novel.append((run, walk.variant, walk.actions)) }
                    extendFrontier(variant: walk.variant, choices: walk.choices, firstSeen: firstSeen)
                }
                if let property = walk.violation {
                    onRound(FuzzRound(stats: stats, novelRuns: novel, nextRun: run + 1))
                    let violation = FuzzViolation(property: property, run: run, runSeed: runSeed(options.seed, run),
                                                  variant: walk.variant, actions: walk.actions)
                    return FuzzReport(stats: stats, violation: violation, stopped: false, nextRun: run + 1)
                }
            }
            next = end
            onRound(FuzzRound(stats: stats, novelRuns: novel, nextRun: next))
            if shouldStop() { return FuzzReport(stats: stats, violation: nil, stopped: true, nextRun: next) }
        }
        return FuzzReport(stats: stats, violation: nil, stopped: false, nextRun: next)
    }

    private func walkAll(_ runs: [Int], poll: Poll) -> [Walk] {
        guard options.workers > 1 else { return runs.map { walk($0, initial: initial[0], transitions: transitions[0], states: states[0], poll: poll) } }
        return [Walk](unsafeUninitializedCapacity: runs.count) { buffer, initialized in
            buffer.initialize(repeating: Walk())
            initialized = runs.count
            let box = WalkBox(buffer: buffer)
            // Each worker takes the next run as it finishes one (walks differ in length), from
            // its own initial states. A walk depends only on its run and on what earlier rounds
            // found, so the result does not depend on who walks what.
            let next = Atomic<Int>(0)
            DispatchQueue.concurrentPerform(iterations: min(options.workers, runs.count)) { w in
                while true {
                    let i = next.wrappingAdd(1, ordering: .relaxed).oldValue
                    guard i < runs.count else { break }
                    box.buffer[i] = self.walk(runs[i], initial: self.initial[w], transitions: self.transitions[w], states: self.states[w],
                                              poll: w == 0 ? poll : nil)
                }
            }
        }
    }

    /// PCT's groups of `candidates` (indexes into `enabled`), one per thread, highest priority
    /// first (the network's own events go with the first); with `demoteTop`, the running
    /// thread then drops to the lowest priority. All of them in one group if no action has a
    /// thread.
    private static func threadGroups(_ candidates: [Int], of enabled: [M.Action], model: M, priorities: inout [UInt64], demoteTop: Bool) -> [[Int]] {
        var threads: [Int] = []
        for i in candidates { if let t = model.thread(of: enabled[i]), !threads.contains(t) { threads.append(t) } }
        threads.sort { (priorities[$0 % 64], $0) > (priorities[$1 % 64], $1) }
        if let top = threads.first, demoteTop { priorities[top % 64] = 0 }
        let groups = threads.enumerated().map { rank, t in
            candidates.filter { model.thread(of: enabled[$0]).map { $0 == t } ?? (rank == 0) }
        }
        return groups.isEmpty ? [candidates] : groups
    }

    /// The first `always` property `state` breaks.
    private func violated(in state: M.State, variant: Int) -> String? {
        always[variant].firstFailing(in: state)
    }

    private struct WalkBox: @unchecked Sendable { let buffer: UnsafeMutableBufferPointer<Walk> }

    /// One run: a walk from `initial` (a worker's initial states of the variants) whose every
    /// choice comes from the run's own seed; `transitions` and `states` are the worker's. With
    /// `poll`, it asks whether to stop now and then, and ends early (see `abandoned`).
    private func walk(_ run: Int, initial: [M.State], transitions: TransitionCache?, states: StateCache<M.State>?, poll: Poll?) -> Walk {
        var rng = Xoshiro256(seed: runSeed(options.seed, run))
        var result = Walk()
        // One model only: no draw, so a swarm campaign's runs stay as they were without variants.
        if variants.count > 1 { result.variant = Int(rng.next(below: UInt64(variants.count))) }
        let start = frontierStart(&rng)
        if let start { result.variant = start.variant }
        let model = variants[result.variant]
        var weights = model.defaultWeights
        if options.swarm {
            // Swarm testing: a random subset of kinds (never none), each with a random weight.
            repeat {
                for k in weights.indices { weights[k] = rng.chance(1, in: 2) ? 1 + rng.next(below: 16) : 0 }
            } while weights.allSatisfy { $0 == 0 }
        }
        var encoder = StateEncoder()
        var state = initial[result.variant]
        // The state's canonical fingerprint, while transitions are remembered.
        var canonical: (fingerprint: Fingerprint, relabeling: Relabeling?)? = transitions == nil ? nil : initialCanonical[result.variant]
        // Buffers reused from step to step: a walk allocates per step only the states it makes.
        var actions = Actions(), weighted: [Int] = [], draws = WeightedDraws()
        // The listing (`Listing`) of each state the walk does not keep.
        var scratch = ScratchListing()
        if let start {
            // The prefix stays inside the boundary and breaks no property: its walk went on.
            state = model.replay(start.choices, from: state).state
            (result.choices, result.prefix) = (Array(start.choices), start.choices.count)
            if canonical != nil { canonical = model.canonicalFingerprint(of: state, width: options.hashWidth, encoder: &encoder) }
        }
        let fingerprinting = options.novelty || options.countsDistinct
        // Where `states` keeps the state, if it does (the start too, once checked). The walk
        // takes a kept state out only to compute from it (`held`): most steps need only its
        // actions and what the caches know of their transitions.
        var place: Int?
        var held: M.State? = consume state
        if let states, let canonical, let relabeling = canonical.relabeling {
            place = states.find(canonical.fingerprint, relabeling, variant: result.variant)
            if place == nil && violated(in: held.unsafelyUnwrapped, variant: result.variant) == nil {
                list(&actions, of: &held, at: place, in: states, model: model)
                place = states.keep(held.unsafelyUnwrapped, kinds: actions.kinds, canonical.fingerprint, relabeling, variant: result.variant)
            }
        }
        // Room for a typical walk at once (a deep one grows as it goes).
        result.choices.reserveCapacity(min(options.depth, 256))
        if fingerprinting { result.unseen.reserveCapacity(min(options.depth, 256)) }
        // PCT: a random priority per thread (higher runs first) and the steps where the running
        // thread is demoted, among those the walk takes (after a frontier walk's prefix).
        var priorities: [UInt64] = (0..<64).map { _ in options.pct ? 1 + rng.next(below: 1 << 32) : 0 }
        let steps = UInt64(max(options.depth - result.prefix, 1))
        let changePoints = options.pct ? (0..<options.pctChangePoints).map { _ in result.prefix + Int(rng.next(below: steps)) } : []
        for step in result.prefix..<max(result.prefix, options.depth) {
            if (step - result.prefix) % Self.pollInterval == Self.pollInterval - 1 {
                if let poll, poll.shouldStop() { abandoned.store(true, ordering: .relaxed) }
                if abandoned.load(ordering: .relaxed) { return result }
            }
            // The state's listing: kept with the state, or else made now.
            let listing: Listing
            if let place {
                listing = states.unsafelyUnwrapped.listing(at: place)
            } else {
                list(&actions, of: &held, at: place, in: states, model: model)
                listing = scratch.fill(kinds: actions.kinds)
            }
            let stepKinds = listing.kinds
            // Candidates by weight; try them in a random weighted order until one stays inside the
            // boundary. With novelty, a few draws look for a successor never seen.
            // The groups to draw from, in order: everything at once, or with PCT one thread at a
            // time by priority (the network's own events go with the first), moving on only if
            // no action of a thread stays inside the boundary.
            var groups: [[Int]]?
            if options.pct {
                list(&actions, of: &held, at: place, in: states, model: model)
                weighted.removeAll(keepingCapacity: true)
                for i in stepKinds.indices where weights[Int(stepKinds[i])] > 0 { weighted.append(i) }
                groups = Self.threadGroups(weighted, of: actions.enabled, model: model, priorities: &priorities, demoteTop: changePoints.contains(step))
            }
            // A successor never seen (or, without novelty, the first inside the boundary); failing
            // that, the first inside the boundary. Its state is computed once it is picked for good.
            var picked: Pick?
            // The states of `picked` and of the candidate, if computed (plain words apart: a
            // pick is copied around, its state is only moved).
            var pickedState: M.State?, computed: M.State?
            for group in 0..<(groups?.count ?? 1) where picked == nil {
                if let groups {
                    draws.reset(count: stepKinds.count, members: groups[group]) { weights[Int(stepKinds[$0])] }
                } else {
                    draws.reset(count: stepKinds.count, members: stepKinds.indices) { weights[Int(stepKinds[$0])] }
                }
                var tries = options.novelty ? 4 : 1
                while tries > 0 && !draws.isEmpty {
                    let index = draws.next(&rng)
                    guard var candidate = successor(index, in: listing, of: &held, actions: &actions,
                                                    canonical, model: model, variant: result.variant, fingerprinting: fingerprinting,
                                                    transitions: transitions, place: place, states: states, computed: &computed,
                                                    encoder: &encoder)
                    else { continue }
                    if !options.novelty || isNovel(&candidate, in: listing, walked: result.unseen) {
                        (picked, pickedState) = (candidate, computed.take())
                        break
                    }
                    if picked == nil { (picked, pickedState) = (candidate, computed.take()) } else { computed = nil }
                    tries -= 1
                }
            }
            guard var pick = picked.take() else { break }
            result.choices.append(UInt16(pick.index))
            if let fp = pick.fingerprint, !pick.seen { result.unseen.append((fp, Int32(result.choices.count))) }
            // A successor learned before: its relabeling composed now it is picked (if not yet).
            if let base = canonical?.relabeling { pick.compose(after: base) }
            if !pick.hint.isNone { states.unsafelyUnwrapped.prefetchListing(pick.hint) }
            // Moved out, not copied: the walk goes on from the state alone. A successor learned
            // before is taken from the states kept, already checked, or else computed now
            // (it is known to stay inside the boundary), from the state given up: the encoder
            // lets go of its nodes, so the one that changes, if the walk alone holds it, changes
            // in place.
            var state: M.State
            // Whether the walk retraces a transition (learned before): its successor, reached
            // before, is kept; a state reached for the first time is not (most are never reached
            // again, and keeping one would cost its copy-on-write buffers being copied next step).
            var retraced = false
            if let next = pickedState.take() {
                state = next
            } else if states != nil, let fp = pick.fingerprint, let relabeling = pick.relabeling,
                      let found = states.unsafelyUnwrapped.find(fp, relabeling, variant: result.variant) {
                listing.hint(states.unsafelyUnwrapped.hint(at: found), action: pick.index)
                (held, place, actions.listed) = (nil, found, false)
                if canonical != nil { canonical = (fp, relabeling) }
                continue
            } else {
                list(&actions, of: &held, at: place, in: states, model: model)
                encoder.forgetParts()
                state = model.nextState(replacing: held.take().unsafelyUnwrapped, action: actions.enabled[pick.index]).unsafelyUnwrapped
                retraced = true
            }
            (place, actions.listed) = (nil, false)
            if canonical != nil { canonical = pick.fingerprint.map { ($0, pick.relabeling) } }
            if let property = violated(in: state, variant: result.variant) {
                result.violation = property
                break
            }
            held = consume state
            if retraced, let states, let fp = pick.fingerprint, let relabeling = pick.relabeling {
                // Listed now to keep the state with its listing (the next step lists them anyway).
                list(&actions, of: &held, at: place, in: states, model: model)
                place = states.keep(held.unsafelyUnwrapped, kinds: actions.kinds, fp, relabeling, variant: result.variant)
            }
        }
        // Rebuilt only if reported: a violation, or a run that may have found new states (one of
        // its states was not seen before its round; the merge tells for sure).
        if result.violation != nil || options.reportsNovelRuns && result.unseen.contains(where: { !seen.contains($0.fingerprint) }) {
            result.actions = model.replay(result.choices, from: initial[result.variant]).actions
        }
        return result
    }

    /// A successor a walk may take: its fingerprint, canonicalizing relabeling or, if learned
    /// before, that relabeling relative to the state's (`Listing.Learned.relative`), whether the
    /// seen set was known to hold it, and the action's index.
    private struct Pick {
        var fingerprint: Fingerprint?
        var relabeling: Relabeling?
        var relative: UInt32?
        var seen = false
        var hint = KeptHint.none
        var index: Int

        /// Composes `relabeling` from `relative` and the state's relabeling `base`, if still to do.
        mutating func compose(after base: Relabeling) {
            guard let relative = relative.take() else { return }
            relabeling = Relabeling(packed: UInt64(relative), count: base.count).after(base)
        }
    }

    /// Whether `candidate` is a state never seen: not in the seen set (as of the round's start),
    /// nor among the states the walk went through. Marks it seen in `listing` if the set holds
    /// it, so the next walk here need not look.
    private func isNovel(_ candidate: inout Pick, in listing: Listing, walked: [(fingerprint: Fingerprint, length: Int32)]) -> Bool {
        guard !candidate.seen, let fp = candidate.fingerprint else { return false }
        if seen.contains(fp) {
            candidate.seen = true
            listing.markSeen(candidate.index)
            return false
        }
        // The walk's states the seen set holds are not among `walked`: the set said so first.
        return !walked.contains { $0.fingerprint == fp }
    }

    /// The actions of the walk's state as the model lists them, and their kinds: listed only
    /// when the walk needs them, to compute from the state, to keep it, to look up a transition
    /// its listing has not learned, or for PCT's threads. Buffers reused from step to step.
    private struct Actions {
        var enabled: [M.Action] = []
        var kinds: [UInt8] = []
        /// Whether `enabled` and `kinds` are the walk's state's.
        var listed = false
    }

    /// Lists the actions of the walk's state (`held`, or else taken out of `states` at
    /// `place`) into `actions`, unless listed already.
    private func list(_ actions: inout Actions, of held: inout M.State?, at place: Int?, in states: StateCache<M.State>?, model: M) {
        guard !actions.listed else { return }
        if held == nil { held = states.unsafelyUnwrapped.state(at: place.unsafelyUnwrapped) }
        actions.enabled.removeAll(keepingCapacity: true)
        model.actions(of: held.unsafelyUnwrapped, into: &actions.enabled)
        actions.kinds.removeAll(keepingCapacity: true)
        // By index: `for action in enabled` would copy each event (retaining its payload).
        for i in actions.enabled.indices { actions.kinds.append(UInt8(model.kind(of: actions.enabled[i]))) }
        actions.listed = true
    }

    /// The successor of the walk's state (`held`, or else taken out of `states` at `place`;
    /// its canonical fingerprint is `canonical`, if known) by its action `index`, or nil if it
    /// is dropped (none, or outside the boundary). Answered from what `listing` or else
    /// `transitions` learned of the transition, without the state; learned in both otherwise,
    /// and the successor's state put in `computed`.
    private func successor(_ index: Int, in listing: Listing, of held: inout M.State?, actions: inout Actions,
                           _ canonical: (fingerprint: Fingerprint, relabeling: Relabeling?)?, model: M, variant: Int,
                           fingerprinting: Bool, transitions: TransitionCache?, place: Int?, states: StateCache<M.State>?,
                           computed: inout M.State?, encoder: inout StateEncoder) -> Pick? {
        let learned = listing[index]
        switch learned.tag {
        case .dropped:
            return nil
        case .successor, .seenSuccessor:
            var pick = Pick(fingerprint: learned.successor, relative: learned.relative, seen: learned.tag == .seenSuccessor, index: index)
            // Kept when last taken: the walk may go there, and its slot and block come in while
            // the walk weighs the other candidates.
            // (`states` unbound: binding it would retain it.)
            if !learned.hint.isNone, states != nil, let base = canonical?.relabeling {
                pick.compose(after: base)
                states.unsafelyUnwrapped.prefetch(learned.successor, pick.relabeling.unsafelyUnwrapped, variant: variant, hint: learned.hint)
                pick.hint = learned.hint
            }
            return pick
        case .unknown:
            break
        }
        list(&actions, of: &held, at: place, in: states, model: model)
        var key: Fingerprint?
        if let transitions, let canonical, let relabeling = canonical.relabeling {
            let k = TransitionCache.key(actions.enabled[index], model: model, variant: variant, state: canonical.fingerprint,
                                        relabeling: relabeling, encoder: &encoder)
            switch transitions.outcome(of: k) {
            case .dropped?:
                listing.learn(.dropped, action: index)
                return nil
            case .successor(let fp, let relative)?:
                listing.learn(.successor(fp, relative: relative), action: index)
                return Pick(fingerprint: fp, relative: UInt32(truncatingIfNeeded: relative), index: index)
            case nil:
                key = k
            }
        }
        let learn = { (outcome: TransitionCache.Outcome) in
            if let key {
                transitions.unsafelyUnwrapped.remember(outcome, of: key)
                listing.learn(outcome, action: index)
            }
        }
        guard let next = model.nextState(after: held.unsafelyUnwrapped, action: actions.enabled[index]), model.withinBoundary(next) else {
            learn(.dropped)
            return nil
        }
        guard fingerprinting else {
            computed = next
            return Pick(index: index)
        }
        let (fp, relabeling) = model.canonicalFingerprint(of: next, width: options.hashWidth, encoder: &encoder)
        if let relabeling, let from = canonical?.relabeling {
            learn(.successor(fp, relative: relabeling.relative(to: from).packed))
        }
        computed = next
        return Pick(fingerprint: fp, relabeling: relabeling, index: index)
    }
}
