import Foundation
import RaftCore
import RaftExplorer
import RaftSim
import RaftCheckFiles

/// The state of `raftcheck explore`: a path of events from the initial state of a spec, the
/// production core stepped by hand. The server answers with `json()` after every request.
/// Not thread-safe: the server calls it from one thread.
final class ExplorerSession {
    let spec: Spec
    let model: ClusterModel
    private(set) var events: [Event] = []
    private(set) var states: [ClusterState]

    /// Starts at the initial state, then takes `events` (a trace's); throws the index of the
    /// first one not enabled where it occurs.
    init(spec: Spec, events: [Event] = []) throws(Diverged) {
        self.spec = spec
        model = ClusterModel(spec: spec)
        let replayed = model.replay(events)
        if let index = replayed.divergedAt { throw Diverged(index: index) }
        (self.events, states) = (events, replayed.states)
    }

    struct Diverged: Error { var index: Int }

    var current: ClusterState { states[states.count - 1] }

    /// The events enabled in the current state, in the model's order.
    var enabled: [Event] {
        var enabled: [Event] = []
        model.actions(of: current, into: &enabled)
        return enabled
    }

    /// Takes the `index`-th enabled event; false if there is none, or it changes nothing, or
    /// its successor is outside the spec's bounds.
    @discardableResult
    func take(_ index: Int) -> Bool {
        let enabled = enabled
        guard enabled.indices.contains(index), let next = model.nextState(after: current, action: enabled[index]),
              model.withinBoundary(next) else { return false }
        events.append(enabled[index])
        states.append(next)
        return true
    }

    /// Goes back one event; false at the initial state.
    @discardableResult
    func back() -> Bool {
        guard !events.isEmpty else { return false }
        events.removeLast()
        states.removeLast()
        return true
    }

    func reset() {
        events.removeAll()
        states.removeSubrange(1...)
    }

    struct Choice: Encodable {
        var index: Int
        var kind: String
        var label: String
        /// Whether taking it leads somewhere: a successor inside the bounds.
        var leads: Bool
    }

    struct PropertyView: Encodable {
        var name: String
        var expectation: String
        var holds: Bool
    }

    struct View: Encodable {
        var spec: String
        var mutation: String?
        var path: [String]
        var state: StepView
        var enabled: [Choice]
        var properties: [PropertyView]
    }

    /// What the page shows: the path, the current state, its enabled events and every property
    /// on it.
    func json() -> Data {
        let state = current
        let choices = enabled.enumerated().map { i, event in
            let next = model.nextState(after: state, action: event)
            return Choice(index: i, kind: event.kind, label: "\(event)", leads: next.map(model.withinBoundary) ?? false)
        }
        let properties = model.properties.map {
            PropertyView(name: $0.name, expectation: $0.expectation.rawValue, holds: $0.holds(state))
        }
        let view = View(spec: spec.name, mutation: spec.mutation, path: events.map { "\($0)" },
                        state: StepView(step: events.count, event: events.last, state: state, model: model),
                        enabled: choices, properties: properties)
        return (try? encodeJSON(view, compact: true)) ?? Data("{}".utf8)
    }

    /// The path as a trace file: `replay` takes it to the same state.
    func trace() -> Data {
        let violation = model.violation(in: current).map {
            TraceViolation(property: $0, step: events.count, message: "\($0) violated after \(events.count) events (explored by hand)")
        }
        let trace = Trace(tool: "raftcheck \(RaftCheck.version) explore", spec: spec, seed: nil, events: events, violation: violation)
        return (try? encodeJSON(trace)) ?? Data()
    }
}
