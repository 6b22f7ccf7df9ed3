import RaftCore
import RaftExplorer

/// Shrinks a counterexample while the *same* property keeps failing first.
///
/// Candidates are replayed leniently: an event that is not enabled where it falls (because an
/// earlier one was removed), or that would leave the spec's bounds, is skipped, and the candidate becomes the events actually executed,
/// cut at the violation. Passes, Raft-aware first: remove whole kinds of event (ticks,
/// heartbeats, duplicates, drops, crashes with restarts, partitions); then delta debugging
/// (ddmin); then every event of one message; then single events until no one
/// can go (1-minimal); last, a breadth-first search for a shorter counterexample of the same
/// property within `searchBudget` states (a different, shorter scenario is out of reach of
/// removals alone; BFS finds the shortest).
public struct Minimizer {
    public let model: ClusterModel
    public let property: String
    /// Distinct states the final breadth-first pass may explore (0: skip it).
    public var searchBudget = 300_000
    /// Replays tried (for reports).
    public private(set) var replays = 0
    /// Whether the breadth-first pass found the result.
    public private(set) var foundBySearch = false

    public init(model: ClusterModel, property: String) {
        self.model = model
        self.property = property
    }

    /// The executed events of a lenient replay of `events`, cut right after `property` first
    /// fails; nil if it never fails, or another property fails first.
    public mutating func reproduce(_ events: [Event]) -> [Event]? {
        replays += 1
        var state = model.initialStates[0]
        if let failed = model.violation(in: state) { return failed == property ? [] : nil }
        var executed: [Event] = []
        for event in events {
            // A candidate stays inside the spec: events that are not enabled, or would leave the
            // bounds, are skipped.
            guard model.isEnabled(event, in: state), let next = model.nextState(after: state, action: event),
                  model.withinBoundary(next) else { continue }
            state = next
            executed.append(event)
            if let failed = model.violation(in: state) { return failed == property ? executed : nil }
        }
        return nil
    }

    /// A 1-minimal trace failing with `property`, or nil if `events` does not fail with it.
    public mutating func minimize(_ events: [Event]) -> [Event]? {
        guard var current = reproduce(events) else { return nil }
        // Whole kinds of event at once.
        for kinds in [["tick"], ["heartbeat"], ["duplicate"], ["drop"], ["crash", "restart"], ["partition", "heal"], ["timeout"]] {
            if let shorter = reproduce(current.filter { !kinds.contains($0.kind) }) { current = shorter }
        }
        // Halve first: delta debugging cuts a long trace down in a few replays, so the finer
        // passes below replay short traces.
        current = ddmin(current)
        // Everything that happens to one message: its delivery, drops and copies.
        var index = 0
        while index < current.count {
            if let message = current[index].message, let shorter = reproduce(current.filter { $0.message != message }) {
                current = shorter
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
                    current = shorter
                }
            }
            position += 1
        }
        current = ddmin(current)
        // Single events, until none can go.
        var changed = true
        while changed {
            changed = false
            var i = current.count - 1
            while i >= 0 {
                var candidate = current
                candidate.remove(at: i)
                if let shorter = reproduce(candidate), shorter.count < current.count {
                    current = shorter
                    changed = true
                }
                i = min(i, current.count) - 1
            }
        }
        return shorterBySearch(than: current) ?? current
    }

    /// A shortest counterexample of `property` shorter than `events`, if BFS finds one within
    /// the budget.
    private mutating func shorterBySearch(than events: [Event]) -> [Event]? {
        guard searchBudget > 0, events.count > 1 else { return nil }
        var spec = model.spec
        spec.properties = [property]
        var options = SearchOptions()
        options.maxDepth = events.count  // Paths of at most count - 1 events.
        options.maxStates = searchBudget
        let report = BreadthFirstSearch(model: ClusterModel(spec: spec), options: options).run()
        guard let counterexample = report.counterexample, counterexample.property == property,
              counterexample.actions.count < events.count else { return nil }
        foundBySearch = true
        return counterexample.actions
    }

    /// Zeller's delta debugging: remove chunks at finer and finer granularity.
    private mutating func ddmin(_ events: [Event]) -> [Event] {
        var current = events
        var chunks = 2
        while current.count >= 2 {
            let size = (current.count + chunks - 1) / chunks
            var reduced = false
            var start = 0
            while start < current.count {
                var candidate = current
                candidate.removeSubrange(start..<min(start + size, current.count))
                if let shorter = reproduce(candidate), shorter.count < current.count {
                    current = shorter
                    chunks = max(chunks - 1, 2)
                    reduced = true
                    break
                }
                start += size
            }
            if !reduced {
                if size == 1 { break }
                chunks = min(chunks * 2, current.count)
            }
        }
        return current
    }
}
