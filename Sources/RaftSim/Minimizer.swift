import RaftCore
import RaftExplorer

/// Shrinks a counterexample while the *same* property keeps failing first.
///
/// Candidates are replayed leniently: a delivery, drop or copy whose exact message is not in
/// flight (an earlier removal changed its contents, say its commit index) acts on the in-flight
/// message of the same type, sender and receiver closest to it, as DEMi matches messages by
/// type; any other event that is not enabled where it falls, or that would leave the spec's
/// bounds, is skipped. The candidate becomes the events actually executed, cut at the
/// violation. Passes, Raft-aware first: every tick replaced at once by the election timeout or
/// heartbeat it fired (or removed); whole kinds of event removed (ticks, heartbeats,
/// duplicates, drops, crashes with restarts, partitions); on a long trace, short random walks
/// (see below) for the property failing much sooner; delta debugging; every event of one
/// message; each remaining tick replaced by a timeout; delta debugging again; single events
/// until none can go (1-minimal). After each delta-debugging pass it tries taking a node out
/// of the cluster (the model then shrinks with it: read `model.spec` for the result's spec).
/// Last, two searches for a different, shorter scenario of the same property (out of reach of
/// removals alone), both confined to what the trace does (`narrowedModel(to:)`): random walks
/// of `walkBudget` events in all, each shorter than the best so far, their find made 1-minimal
/// in turn; then a breadth-first search within `searchBudget` states, which finds the shortest.
public struct Minimizer {
    /// The model the result runs on: the original, or a smaller cluster.
    public private(set) var model: ClusterModel
    public let property: String
    /// Distinct states the final breadth-first pass may explore (0: skip it).
    public var searchBudget = Self.defaultSearchBudget
    public static let defaultSearchBudget = 300_000
    /// Events the random walks of a pass may take in all (0: skip them).
    public var walkBudget = Self.defaultWalkBudget
    public static let defaultWalkBudget = 400_000
    /// Threads for the two searches (their results do not depend on them).
    public var workers = 1
    /// Replays tried (for reports).
    public private(set) var replays = 0
    /// Whether the random walks found a shorter scenario, and whether the breadth-first pass
    /// found the result.
    public private(set) var foundByWalks = false
    public private(set) var foundBySearch = false
    /// Asked before every replay and by the two searches: once it says stop, every pass ends
    /// and `minimize` returns the shortest trace found so far (failing with `property`, but
    /// perhaps not 1-minimal). The replay that checks the input is not asked.
    public var shouldStop: () -> Bool = { false }
    /// For a property whose failure ends the process (`no_trap`): replays a candidate where
    /// that cannot end this one (a child process), strictly (an event not enabled where it
    /// falls is skipped), returning the events executed up to and including the failing one,
    /// or nil if it does not fail. The passes that read the states of a replay in this process
    /// (ticks into macro-steps, random walks, the breadth-first search) are then skipped.
    public var isolated: ((ClusterModel, [Event]) -> [Event]?)?
    /// Whether `shouldStop` cut minimization short.
    public private(set) var stopped = false
    private var mayStop = false
    /// The trace being shrunk and the states its replay visits (`states[i]`: after `i` events).
    /// A candidate replays only from where it departs from this trace: its prefix is known.
    private var base: (events: [Event], states: [ClusterState]) = ([], [])
    /// The last successful `reproduce`: its result, how much of the base it shares, and the
    /// states after its own events (so `adopt` need not replay it again).
    private var last: (events: [Event], shared: Int, states: [ClusterState]) = ([], 0, [])

    public init(model: ClusterModel, property: String) {
        self.model = model
        self.property = property
    }

    /// The executed events of a lenient replay of `events`, cut right after `property` first
    /// fails; nil if it never fails, or another property fails first.
    public mutating func reproduce(_ events: [Event]) -> [Event]? {
        if mayStop && (stopped || shouldStop()) {
            stopped = true
            return nil
        }
        replays += 1
        if let isolated { return isolated(model, events) }
        var shared = 0
        while shared < min(events.count, base.events.count) && events[shared] == base.events[shared] { shared += 1 }
        var state = base.states.isEmpty ? model.initialStates[0] : base.states[shared]
        var executed = Array(base.events[..<shared])
        var states: [ClusterState] = []
        func found(_ failed: String) -> [Event]? {
            guard failed == property else { return nil }
            last = (executed, shared, states)
            return executed
        }
        if let failed = model.violation(in: state) { return found(failed) }
        for original in events[shared...] {
            // A candidate stays inside the spec: events that are not enabled, or would leave the
            // bounds, are skipped.
            guard let event = model.isEnabled(original, in: state) ? original : Self.substitute(for: original, in: state),
                  model.isEnabled(event, in: state), let next = model.nextState(after: state, action: event),
                  model.withinBoundary(next) else { continue }
            state = next
            executed.append(event)
            states.append(state)
            if let failed = model.violation(in: state) { return found(failed) }
        }
        return nil
    }

    /// The same network event on the in-flight message most like the one named: same type,
    /// sender and receiver, then the nearest term, index and commit.
    static func substitute(for event: Event, in state: ClusterState) -> Event? {
        guard let wanted = event.message else { return nil }
        let distance = { (m: Message) in
            (m.term.rawValue.distance(to: wanted.term.rawValue).magnitude, m.index.rawValue.distance(to: wanted.index.rawValue).magnitude,
             m.commit.rawValue.distance(to: wanted.commit.rawValue).magnitude)
        }
        let candidates = state.network.lazy.filter { $0.type == wanted.type && $0.from == wanted.from && $0.to == wanted.to }
        guard let closest = candidates.min(by: { distance($0) < distance($1) }) else { return nil }
        switch event {
        case .deliver: return .deliver(closest)
        case .drop: return .drop(closest)
        default: return .duplicate(closest)
        }
    }

    /// Makes `events` (executed events, as `reproduce` returns them) the base trace.
    private mutating func adopt(_ events: [Event]) -> [Event] {
        if isolated != nil {
            base = (events, [])
        } else if events == last.events && !base.states.isEmpty {
            base = (events, Array(base.states[...last.shared]) + last.states)
        } else {
            base = (events, model.replay(events).states)
        }
        last = ([], 0, [])
        return events
    }

    /// A 1-minimal trace failing with `property`, or nil if `events` does not fail with it.
    public mutating func minimize(_ events: [Event]) -> [Event]? {
        base = ([], [])
        (mayStop, stopped) = (false, false)
        guard var current = reproduce(events).map({ adopt($0) }) else { return nil }
        mayStop = true
        // All ticks at once: each becomes what it amounted to, or goes.
        if isolated == nil, current.contains(where: { $0.kind == "tick" }), let shorter = reproduce(macroSteps(current)) {
            current = adopt(shorter)
        }
        // Whole kinds of event at once.
        for kinds in [["tick"], ["heartbeat"], ["duplicate"], ["drop"], ["crash", "restart"], ["partition", "heal"], ["timeout"]] {
            if let shorter = reproduce(current.filter { !kinds.contains($0.kind) }) { current = adopt(shorter) }
        }
        // On a long trace, short random walks may find the property failing far sooner than
        // delta debugging would cut down to, sparing most of its replays (each a long one).
        if isolated == nil, current.count >= Self.longTrace, let walked = shorterByWalks(than: current, depth: Self.shortWalk, firstFind: true) {
            current = walked
        }
        // Halve first: delta debugging cuts a long trace down in a few replays, so the finer
        // passes below replay short traces.
        current = ddmin(current)
        current = shrinkCluster(current)
        // Everything that happens to one message: its delivery, drops and copies.
        var index = 0
        while index < current.count {
            if let message = current[index].message, let shorter = reproduce(current.filter { $0.message != message }) {
                current = adopt(shorter)
            } else {
                index += 1
            }
        }
        // A node's ticks up to an election: try its election-timeout macro-step in their place.
        var position = 0
        while position < current.count {
            if case .tick(let id) = current[position] {
                var candidate = current
                candidate[position] = .timeout(id)
                if let shorter = reproduce(candidate), shorter.count < current.count || shorter != current {
                    current = adopt(shorter)
                }
            }
            position += 1
        }
        current = ddmin(current)
        current = shrinkCluster(current)
        current = removingSingleEvents(current)
        guard isolated == nil else { return current }
        // Random walks confined to what the trace does, each shorter than the best so far, may
        // come upon a shorter scenario; it is made 1-minimal in turn.
        if let walked = shorterByWalks(than: current) { current = removingSingleEvents(walked) }
        return shorterBySearch(than: current) ?? current
    }

    /// Removes single events, last first, until none can go (the result is 1-minimal).
    private mutating func removingSingleEvents(_ events: [Event]) -> [Event] {
        var current = events
        var changed = true
        while changed {
            changed = false
            var i = current.count - 1
            while i >= 0 {
                var candidate = current
                candidate.remove(at: i)
                if let shorter = reproduce(candidate), shorter.count < current.count {
                    current = adopt(shorter)
                    changed = true
                }
                i = min(i, current.count) - 1
            }
        }
        return current
    }

    /// The model the searches (random walks, BFS) run on: `model` cut down to what `events` does
    /// (`Spec.narrowed`: the same kinds of event, no more of each bounded kind, no higher a
    /// term), checking `property` alone; without symmetry, where nodes are told apart, also
    /// confined to the shapes of `events` (`ClusterModel.shapes`: the same messages' types and
    /// terms between the same nodes, the same changes). What it finds runs on `model` too, as
    /// narrowing only turns events off and tightens bounds.
    private func narrowedModel(to events: [Event]) -> ClusterModel {
        var spec = model.spec.narrowed(to: events, terms: base.states.lazy.map(\.maxTerm).max() ?? .zero)
        spec.properties = [property]
        var narrowed = ClusterModel(spec: spec)
        if !spec.symmetry { narrowed.shapes = Set(events.map(\.shape)) }
        return narrowed
    }

    /// The shortest counterexample of `property` that random walks of `narrowedModel(to:
    /// events)` find within `walkBudget` events, each walk shorter than the best so far, as the
    /// base trace; walks take at most `depth` events, and with `firstFind` the first
    /// counterexample found is the result. Nil if none is shorter than `events` or,
    /// replayed on `model`, it fails with another property first. Deterministic: the walks'
    /// seeds are fixed and their outcome does not depend on `workers`.
    private mutating func shorterByWalks(than events: [Event], depth: Int = .max, firstFind: Bool = false) -> [Event]? {
        guard walkBudget > 0, events.count > 1 else { return nil }
        let narrowed = narrowedModel(to: events)
        var best: [Event]?
        var options = FuzzOptions()
        options.workers = workers
        options.novelty = false
        options.countsDistinct = false
        var spent = 0
        while spent < walkBudget {
            options.depth = min(depth, (best ?? events).count - 1)
            guard options.depth > 0 else { break }
            options.runs = max(1, (walkBudget - spent) / options.depth)
            let report = RandomSearch(model: narrowed, options: options).run(shouldStop: { stopped || shouldStop() })
            spent += report.stats.events
            options.firstRun = report.nextRun
            if report.stopped { stopped = true }
            guard let violation = report.violation else { break }
            best = violation.actions
            if firstFind { break }
        }
        guard let best, let reproduced = reproduce(best) else { return nil }
        foundByWalks = true
        return adopt(reproduced)
    }

    /// Takes nodes out of the cluster, highest ID first, while the trace (without the removed
    /// node's events, the others renumbered) still fails with `property`; the model follows.
    private mutating func shrinkCluster(_ events: [Event]) -> [Event] {
        var current = events
        var id = model.spec.nodes
        while id >= 1 {
            let node = NodeID(UInt64(id)), nodes = model.spec.nodes
            if let spec = model.spec.removing(node: node) {
                let saved = (model, base)
                model = ClusterModel(spec: spec)
                base = ([], [])
                if let shorter = reproduce(current.compactMap { $0.removing(node: node, nodes: nodes) }) {
                    current = adopt(shorter)
                } else {
                    (model, base) = saved
                }
            }
            id -= 1
        }
        return current
    }

    /// The base trace with each tick replaced by the macro-step it amounted to: the election
    /// timeout it fired (`timeout`), the heartbeat round a leader's tick sent (`heartbeat`), or
    /// nothing (a tick that only advanced a timer).
    private func macroSteps(_ events: [Event]) -> [Event] {
        events.indices.compactMap { i in
            guard case .tick(let id) = events[i] else { return events[i] }
            // Both nodes read in place (binding one would copy its whole state).
            let (before, after) = (base.states[i][id], base.states[i + 1][id])
            guard before.isUp && after.isUp else { return nil }
            if before.box.upNode.raft.role == .leader { return after.box.upNode.raft.heartbeatElapsed == 0 ? .heartbeat(id) : nil }
            return after.box.upNode.raft.electionElapsed == 0 ? .timeout(id) : nil
        }
    }

    /// A shortest counterexample of `property` in `narrowedModel(to: events)` shorter than
    /// `events`, if BFS finds one within `searchBudget` states and, replayed on `model` (which
    /// checks every property), it fails with `property` first.
    private mutating func shorterBySearch(than events: [Event]) -> [Event]? {
        guard searchBudget > 0, events.count > 1 else { return nil }
        var options = SearchOptions()
        options.maxDepth = events.count  // Paths of at most count - 1 events.
        options.maxStates = searchBudget
        options.workers = workers
        // A search that cannot spill its queue (no room on disk) shortens nothing.
        guard let report = try? BreadthFirstSearch(model: narrowedModel(to: events), options: options)
            .run(shouldStop: { stopped || shouldStop() }) else { return nil }
        if report.end == .stopped { stopped = true }
        guard let counterexample = report.counterexample, let reproduced = reproduce(counterexample.actions),
              reproduced.count < events.count else { return nil }
        foundBySearch = true
        return reproduced
    }

    /// Delta debugging (after Zeller): removes chunks at finer and finer granularity. On a
    /// short trace a removal starts the search over with slightly larger chunks (Zeller's
    /// ddmin) and a sweep that removes nothing halves the size. On a long trace a sweep goes on
    /// after each removal, and every sweep halves the size: each sweep replays the whole trace
    /// chunk by chunk, so starting over or sweeping again at one size costs as much again.
    private mutating func ddmin(_ events: [Event]) -> [Event] {
        var current = events
        var chunks = 2
        while current.count >= 2 {
            let size = (current.count + chunks - 1) / chunks
            var reduced = false
            var start = 0
            sweep: while start < current.count {
                var candidate = current
                candidate.removeSubrange(start..<min(start + size, current.count))
                if let shorter = reproduce(candidate), shorter.count < current.count {
                    current = adopt(shorter)
                    reduced = true
                    if current.count < Self.longTrace { break sweep }
                } else {
                    start += size
                }
            }
            if !reduced {
                if size == 1 { break }
                chunks = min(chunks * 2, current.count)
            } else if current.count < Self.longTrace {
                chunks = max(chunks - 1, 2)
            } else {
                chunks = min(2 * max((current.count + size - 1) / size, 2), current.count)
            }
        }
        return current
    }

    /// From this many events on, delta debugging sweeps on after a removal, and random walks of
    /// at most `shortWalk` events go first.
    static let longTrace = 256
    static let shortWalk = 64
}

extension Spec {
    /// This spec cut down to what `trace` does: event kinds it never uses are off, each
    /// bounded kind may happen at most as often as in `trace`, and terms stay at most `terms`
    /// (the highest `trace` reaches). Every behaviour of the result is one of this spec's.
    func narrowed(to trace: [Event], terms: Term) -> Spec {
        var counts = [Int](repeating: 0, count: Event.kinds.count)
        for event in trace { counts[event.kindIndex] += 1 }
        func count(_ kind: String) -> Int { counts[Event.kinds.firstIndex(of: kind)!] }
        var spec = self
        spec.events.deliver = events.deliver && count("deliver") > 0
        spec.events.tick = events.tick && count("tick") > 0
        spec.events.timeout = events.timeout && count("timeout") > 0
        spec.events.heartbeat = events.heartbeat && count("heartbeat") > 0
        spec.bounds.maxTerm = min(bounds.maxTerm, terms.rawValue)
        spec.bounds.maxProposals = min(bounds.maxProposals, count("propose"))
        spec.bounds.maxReads = min(bounds.maxReads, count("read"))
        spec.bounds.maxConfChanges = min(bounds.maxConfChanges, count("reconfigure") + count("enter-joint") + count("leave-joint"))
        spec.bounds.maxCompactions = min(bounds.maxCompactions, count("compact"))
        spec.bounds.maxTransfers = min(bounds.maxTransfers, count("transfer"))
        spec.bounds.maxUnreachable = min(bounds.maxUnreachable, count("unreachable"))
        spec.bounds.maxCrashes = min(bounds.maxCrashes, count("crash"))
        spec.bounds.maxRestarts = min(bounds.maxRestarts, count("restart"))
        spec.bounds.maxDrops = min(bounds.maxDrops, count("drop"))
        spec.bounds.maxDuplicates = min(bounds.maxDuplicates, count("duplicate"))
        spec.bounds.maxPartitions = min(bounds.maxPartitions, count("partition"))
        return spec
    }
}
