import ArgumentParser
import Foundation
import RaftCore
import RaftExplorer
import RaftSim
import RaftSpecModel
import RaftCheckFiles

/// `raftcheck replay TRACE`: re-executes a trace deterministically and prints every step.
struct Replay: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Re-execute a trace and print each step; exit 1 if a property fails, 0 if it runs clean, 4 if it diverges.")

    @Argument(help: "The trace file (JSON, or ITF as show --format itf writes it).")
    var trace: String

    @Option(help: "Replay against this mutation instead of the trace's ('none': the real core).")
    var mutation: String?

    func run() throws {
        let (trace, events): (Trace, [Event])
        switch try TraceFile.readAny(self.trace) {
        case .cluster(let t, let e): (trace, events) = (t, e)
        case .raftTLA(let t, let actions):
            if mutation != nil { throw InputError(file: self.trace, field: "--mutation", message: "does not apply to raft-tla traces") }
            return try replay(t.spec, actions)
        }
        var spec = trace.spec
        if let mutation { spec.override(mutation: mutation) }
        if let problem = spec.problems().first {
            throw InputError(file: self.trace, field: "--mutation", message: problem.message)
        }
        let model = ClusterModel(spec: spec)
        print("raftcheck replay \(self.trace): spec '\(spec.name)', \(events.count) events, mutation \(spec.mutation ?? "none")")
        var state = model.initialStates[0]
        Self.printNodes(state)
        if let property = model.violation(in: state) {
            print("VIOLATION: \(property) in the initial state")
            throw ExitCode(Exit.violation.rawValue)
        }
        var enabled: [Event] = []
        // A trap reproduced is the trace's violation: reported, exit 1.
        TrapCatcher.install()
        let witness = TrapCatcher.Witness { witness, signal in
            print("\(witness.action + 1). \(events[witness.action])")
            print("VIOLATION: \(noTrapProperty) (\(TrapCatcher.name(of: signal))) at event \(witness.action + 1)")
        }
        try TrapCatcher.watching(witness) { () throws in
        for (i, event) in events.enumerated() {
            witness.action = i
            enabled.removeAll(keepingCapacity: true)
            model.actions(of: state, into: &enabled)
            guard enabled.contains(event), let next = model.nextState(after: state, action: event) else {
                print("DIVERGED at event \(i + 1) (\(event)): \(Self.whyNotEnabled(event, state))")
                throw ExitCode(Exit.diverged.rawValue)
            }
            guard model.withinBoundary(next) else {
                print("DIVERGED at event \(i + 1) (\(event)): it leaves the spec's bounds")
                throw ExitCode(Exit.diverged.rawValue)
            }
            state = next
            print("\(i + 1). \(event)")
            Self.printNodes(state)
            if let property = model.violation(in: state) {
                print("VIOLATION: \(property) after event \(i + 1)")
                throw ExitCode(Exit.violation.rawValue)
            }
        }
        }
        print("clean: no property violated in \(events.count) events")
    }

    /// A raft-tla trace: each action and what it changed, as TLC prints a behaviour.
    private func replay(_ spec: RaftTLASpec, _ actions: [RaftTLAModel.Action]) throws {
        let model = RaftTLAModel(spec: spec)
        print("raftcheck replay \(self.trace): raft-tla spec '\(spec.name)', \(actions.count) actions")
        let (states, diverged) = model.replay(actions)
        for (i, state) in states.enumerated() {
            if i > 0 { print("\(i). \(actions[i - 1])") }
            print("   " + model.summary(of: state))
            if let property = model.violation(in: state) {
                print("VIOLATION: \(property) after event \(i)")
                throw ExitCode(Exit.violation.rawValue)
            }
        }
        if let diverged {
            print("DIVERGED at event \(diverged + 1) (\(actions[diverged])): not enabled here, or it leaves the spec's bounds")
            throw ExitCode(Exit.diverged.rawValue)
        }
        print("clean: no property violated in \(actions.count) events")
    }

    /// Why `event` cannot happen in `state`, as far as the state shows.
    static func whyNotEnabled(_ event: Event, _ state: ClusterState) -> String {
        if let message = event.message, !state.network.contains(message) { return "that message is not in flight" }
        let slot = Int(event.node.rawValue) - 1
        guard state.nodes.indices.contains(slot) else { return "the spec has no node \(event.node)" }
        let sim = state.nodes[slot]
        switch event {
        case .restart: return "node \(event.node) is not down, or the restart bound is reached"
        case .deliver(let m) where !state.connected(m.from, m.to): return "the network is partitioned between \(m.from) and \(m.to)"
        default: break
        }
        guard let raft = sim.node?.raft else { return "node \(event.node) is down" }
        if sim.pending != nil || sim.node?.hasReady == true { return "node \(event.node) is still carrying out a Ready" }
        switch event {
        case .propose, .heartbeat: return "node \(event.node) is \(raft.role), not leader (or a bound is reached)"
        case .timeout: return "node \(event.node) is \(raft.role)"
        default: return "not enabled in this state (a bound is reached, or the event is disabled by the spec)"
        }
    }

    static func printNodes(_ state: ClusterState) {
        for (slot, sim) in state.nodes.enumerated() {
            guard let raft = sim.node?.raft else {
                print("   n\(slot + 1): down (term \(sim.storage.hardState.term), log \(sim.storage.storedEntries.map(\.term.rawValue)))")
                continue
            }
            let terms = ((try? raft.log.entries(from: raft.log.firstIndex)) ?? []).map(\.term.rawValue)
            print("   n\(slot + 1): \(raft.role) term \(raft.term) log \(terms) commit \(raft.log.committed)")
        }
    }
}
