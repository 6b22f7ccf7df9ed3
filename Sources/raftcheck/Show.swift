import ArgumentParser
import Foundation
import RaftCore
import RaftExplorer
import RaftSim
import RaftSpecModel
import RaftCheckFiles

/// `raftcheck show TRACE`: a trace for people (a timeline, a Mermaid sequence diagram, an HTML
/// page) or for other tools (ITF, ShiViz).
struct Show: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Render a trace as a text timeline, a Mermaid or HTML sequence diagram, or as ITF or ShiViz input.")

    enum Format: String, ExpressibleByArgument, CaseIterable { case text, mermaid, html, itf, shiviz }

    @Argument(help: "The trace file (JSON, or ITF as --format itf writes it).")
    var trace: String

    @Option(help: "text (a timeline), mermaid (a sequence diagram that renders in GitHub markdown), html (one self-contained page), itf (every state in the Informal Trace Format; replays like the trace), shiviz (a log with vector clocks for ShiViz).")
    var format = Format.text

    @Option(name: .shortAndLong, help: "Write to this file instead of standard output.")
    var output: String?

    func run() throws {
        let (trace, recorded): (Trace, [Event])
        switch try TraceFile.readAny(self.trace) {
        case .cluster(let t, let e): (trace, recorded) = (t, e)
        case .raftTLA(let t, let actions): return try show(t, actions)
        }
        let model = ClusterModel(spec: trace.spec)
        // A trap ends the process computing it: the trapping event runs in a child process,
        // and what is shown ends before it.
        var (events, trapped) = (recorded, Event?.none)
        if trace.violation?.property == noTrapProperty, let executed = IsolatedReplay.untilTrap(recorded, on: model) {
            (events, trapped) = (Array(executed.dropLast()), executed.last)
        }
        let (states, diverged) = model.replay(events)
        let trapNote = trapped.map { "TRAP at event \(events.count + 1): \($0) makes RaftCore trap (\(noTrapProperty))" }
        switch format {
        case .html: return try emit(TraceHTML.page(trace, events, states, model, diverged: diverged, trap: trapNote))
        case .itf, .shiviz:
            if let diverged { throw diverging(diverged) }
            return try emit(format == .itf ? String(decoding: TraceFormats.itf(trace, states, model), as: UTF8.self) : TraceFormats.shiviz(trace, events, states))
        case .text, .mermaid: break
        }
        let lines = format == .text
            ? Self.timeline(trace, events, states, model)
            : Self.mermaid(trace, events, states, model)
        var text = lines.joined(separator: "\n") + "\n"
        if let diverged { text += (format == .text ? "DIVERGED at event \(diverged + 1)" : "    Note over n1: DIVERGED at event \(diverged + 1)") + "\n" }
        if let trapNote { text += (format == .text ? trapNote : "    Note over n1: \(trapNote)") + "\n" }
        try emit(text)
    }

    /// A raft-tla trace: as text (the actions and each state's terms, roles and logs) or ITF.
    private func show(_ trace: RaftTLATrace, _ actions: [RaftTLAModel.Action]) throws {
        let model = RaftTLAModel(spec: trace.spec)
        let (states, diverged) = model.replay(actions)
        switch format {
        case .text:
            var lines = ["trace: raft-tla spec '\(trace.spec.name)', \(trace.spec.servers) servers, \(actions.count) actions", "   " + model.summary(of: states[0])]
            for i in states.indices.dropFirst() {
                lines.append(String(format: "%4d  ", i) + "\(actions[i - 1])")
                lines.append("      " + model.summary(of: states[i]))
                if let property = model.violation(in: states[i]) { lines.append("      VIOLATION: \(property)") }
            }
            if let diverged { lines.append("DIVERGED at event \(diverged + 1)") }
            try emit(lines.joined(separator: "\n") + "\n")
        case .itf:
            if let diverged { throw diverging(diverged) }
            try emit(String(decoding: TraceFormats.itf(trace, states, model), as: UTF8.self))
        case .mermaid, .html, .shiviz:
            throw InputError(file: self.trace, field: "--format", message: "a raft-tla trace is shown as text or itf")
        }
    }

    /// ITF and ShiViz hold the states a trace reaches, so a trace that diverges has none to give.
    private func diverging(_ index: Int) -> InputError {
        InputError(file: trace, field: "events[\(index)]", message: "event \(index + 1) is not enabled where it occurs (the trace diverged)")
    }

    /// Prints `text`, or writes it to `--output`.
    private func emit(_ text: String) throws {
        guard let output else { return print(text, terminator: "") }
        try writeOutput(Data(text.utf8), to: output, what: "\(format.rawValue) output")
    }

    /// A message in a diagram: its type, term, and what its type carries.
    static func label(_ m: RaftCore.Message) -> String {
        var text = "\(m.type) t\(m.term)"
        switch m.type {
        case .append: text += " prev \(m.index)@\(m.logTerm)" + (m.entries.isEmpty ? "" : " [\(m.entries.map { "\($0.index)@\($0.term)" }.joined(separator: " "))]")
        case .appendResponse: text += m.reject ? " reject \(m.index)" : " ok \(m.index)"
        case .voteResponse, .preVoteResponse: text += m.reject ? " no" : " yes"
        case .vote, .preVote: text += " last \(m.index)@\(m.logTerm)"
        default: break
        }
        return text
    }

    /// What changed on each node between two states: role and term.
    static func changes(_ before: ClusterState, _ after: ClusterState) -> [(node: Int, text: String)] {
        var result: [(Int, String)] = []
        for slot in after.nodes.indices {
            let (a, b) = (before.nodes[slot].node?.raft, after.nodes[slot].node?.raft)
            switch (a, b) {
            case let (a?, b?) where a.role != b.role || a.term != b.term:
                result.append((slot + 1, "\(b.role) t\(b.term)"))
            case (_?, nil):
                result.append((slot + 1, "down"))
            case let (nil, b?):
                result.append((slot + 1, "up: \(b.role) t\(b.term)"))
            default:
                break
            }
        }
        return result
    }

    static func timeline(_ trace: Trace, _ events: [Event], _ states: [ClusterState], _ model: ClusterModel) -> [String] {
        var lines = ["trace: spec '\(trace.spec.name)', \(trace.spec.nodes) nodes, mutation \(trace.mutation ?? "none"), \(events.count) events"]
        for (i, event) in events.enumerated() where i + 1 < states.count {
            let notes = changes(states[i], states[i + 1]).map { "n\($0.node) \($0.text)" }
            lines.append(String(format: "%4d  ", i + 1) + "\(event)" + (notes.isEmpty ? "" : "   [\(notes.joined(separator: ", "))]"))
            if let property = model.violation(in: states[i + 1]) { lines.append("      VIOLATION: \(property)") }
        }
        return lines
    }

    static func mermaid(_ trace: Trace, _ events: [Event], _ states: [ClusterState], _ model: ClusterModel) -> [String] {
        var lines = ["sequenceDiagram", "    %% raftcheck trace: spec '\(trace.spec.name)', mutation \(trace.mutation ?? "none")"]
        for id in 1...trace.spec.nodes { lines.append("    participant n\(id)") }
        for (i, event) in events.enumerated() where i + 1 < states.count {
            switch event {
            case .deliver(let m): lines.append("    n\(m.from)->>n\(m.to): \(label(m))")
            case .drop(let m): lines.append("    n\(m.from)-xn\(m.to): lost: \(label(m))")
            case .duplicate(let m): lines.append("    Note over n\(m.from),n\(m.to): copied: \(label(m))")
            case .partition, .heal, .stabilize: lines.append("    Note over n1,n\(trace.spec.nodes): \(event)")
            case .reconfigure(_, let change): lines.append("    Note over n\(event.node): reconfigure: \(change.kind.name) n\(change.node)")
            default: lines.append("    Note over n\(event.node): \(event.kind)")
            }
            for change in changes(states[i], states[i + 1]) { lines.append("    Note over n\(change.node): \(change.text)") }
            if let property = model.violation(in: states[i + 1]) {
                lines.append("    Note over n1,n\(trace.spec.nodes): VIOLATION \(property) (event \(i + 1))")
            }
        }
        return lines
    }
}
