import Foundation
import RaftCore
import RaftSim
import RaftSpecModel
import RaftCheckFiles

/// A cluster trace in other tools' formats: ITF (every state, replayable) and ShiViz (a log
/// with vector clocks).
enum TraceFormats {
    /// JSON through Foundation's serializer: what `ITF.tagged` takes.
    static func jsonObject<T: Encodable>(_ value: T) -> Any {
        guard let data = try? encodeJSON(value, compact: true), let object = try? JSONSerialization.jsonObject(with: data, options: [.fragmentsAllowed]) else {
            preconditionFailure("a trace's values always encode")
        }
        return object
    }

    /// The ITF trace: `#meta.raftcheck` the trace's header as plain JSON (so it replays), and per state the
    /// variables `action` (the event that led there; `{"kind": "init"}` first), `nodes` (a map
    /// from node ID to its role, term, vote, leader, log, indexes and configuration, as
    /// `StepView` has them), `messages` (in flight, every field) and `violation` (the first
    /// property the state breaks, or "").
    static func itf(_ trace: Trace, _ states: [ClusterState], _ model: ClusterModel) -> Data {
        var header = jsonObject(trace) as! [String: Any]
        header["events"] = nil
        let vars = ["action", "nodes", "messages", "violation"]
        var itfStates: [Any] = []
        for (i, state) in states.enumerated() {
            let view = StepView(step: i, event: nil, state: state, model: model)
            let action: Any = i == 0 ? ["kind": "init"] : jsonObject(trace.events[i - 1])
            let nodes = view.nodes.map { node -> [Any] in
                var record = jsonObject(node) as! [String: Any]
                record["id"] = nil
                for key in ["voters", "learners"] { record[key] = ["#set": record[key]!] }
                return [node.id, record]
            }
            itfStates.append([
                "#meta": ["index": i],
                "action": ITF.tagged(action),
                "nodes": ["#map": ITF.tagged(nodes)],
                "messages": ITF.tagged(state.network.map { jsonObject($0) }),
                "violation": view.violation ?? "",
            ] as [String: Any])
        }
        let object: [String: Any] = [
            "#meta": ["format": "ITF", "format-description": ITF.formatDescription, "source": "raftcheck \(RaftCheck.version)",
                      "description": "spec '\(trace.spec.name)', \(trace.spec.nodes) nodes, mutation \(trace.mutation ?? "none")",
                      "raftcheck": header],
            "vars": vars,
            "states": itfStates,
        ]
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        data.append(0x0A)
        return data
    }

    /// A raft-tla trace in ITF: per state raft.tla's own variables (`RaftTLAModel.variables`)
    /// and `action`, the action that led there (`{"action": "Init"}` first), as the trace
    /// writes it; `#meta.raftcheck` the trace's header.
    static func itf(_ trace: RaftTLATrace, _ states: [RaftTLAModel.State], _ model: RaftTLAModel) -> Data {
        var header = (try? JSONSerialization.jsonObject(with: TraceFile.data(trace))) as? [String: Any] ?? [:]
        let events = header["events"] as? [Any] ?? []
        header["events"] = nil
        var itfStates: [Any] = []
        for (i, state) in states.enumerated() {
            var record: [String: Any] = ["#meta": ["index": i], "action": i == 0 ? ["action": "Init"] : ITF.tagged(events[i - 1])]
            for (name, value) in model.variables(of: state) { record[name] = itf(value) }
            itfStates.append(record)
        }
        let object: [String: Any] = [
            "#meta": ["format": "ITF", "format-description": ITF.formatDescription, "source": "raftcheck \(RaftCheck.version)",
                      "description": "raft.tla (raft-tla spec '\(trace.spec.name)'), \(trace.spec.servers) servers", "raftcheck": header],
            "vars": ["action"] + model.variableNames,
            "states": itfStates,
        ]
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        data.append(0x0A)
        return data
    }

    /// A TLA+ value in ITF.
    static func itf(_ value: TLAValue) -> Any {
        switch value {
        case .int(let n): ["#bigint": "\(n)"]
        case .string(let s): s
        case .bool(let b): b
        case .seq(let items): items.map(itf)
        case .set(let items): ["#set": items.map(itf)]
        case .map(let pairs): ["#map": pairs.map { [itf($0.0), itf($0.1)] }]
        case .record(let fields): Dictionary(fields.map { ($0.0, itf($0.1)) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// A ShiViz log: the parsing expression, an empty line (one execution), then two lines per
    /// event: what happened, and the host with its vector clock. Each event ticks its node's
    /// clock; a message carries its sender's clock from the event that sent it, and its
    /// delivery merges that in (a copy carries the original's). Network-wide events (partition,
    /// heal, stabilize) happen at a host of their own, `network`.
    static func shiviz(_ trace: Trace, _ events: [Event], _ states: [ClusterState]) -> String {
        let hosts = (1...trace.spec.nodes).map { "n\($0)" } + ["network"]
        var clocks = Array(repeating: Array(repeating: 0, count: hosts.count), count: hosts.count)
        var sent: [RaftCore.Message: [[Int]]] = [:]
        var lines = [#"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"#, ""]
        for (i, event) in events.enumerated() where i + 1 < states.count {
            let host: Int
            switch event {
            case .partition, .heal, .stabilize: host = hosts.count - 1
            case .deliver(let m): host = Int(m.to.rawValue) - 1
            default: host = Int((TraceEvent(event).node ?? 1) - 1)
            }
            clocks[host][host] += 1
            switch event {
            case .deliver(let m):
                if let clock = sent[m]?.first {
                    sent[m]!.removeFirst()
                    for h in hosts.indices { clocks[host][h] = max(clocks[host][h], clock[h]) }
                }
            case .drop(let m):
                if sent[m]?.isEmpty == false { sent[m]!.removeFirst() }
            case .duplicate(let m):
                if let clock = sent[m]?.first { sent[m]!.append(clock) }
            default:
                break
            }
            // Messages the event put in flight carry the acting node's clock.
            var before: [RaftCore.Message: Int] = [:]
            for m in states[i].network { before[m, default: 0] += 1 }
            for m in states[i + 1].network {
                if before[m, default: 0] > 0 { before[m]! -= 1; continue }
                if case .duplicate = event { continue }
                sent[m, default: []].append(clocks[host])
            }
            let clock = hosts.indices.filter { clocks[host][$0] > 0 }.map { "\"\(hosts[$0])\":\(clocks[host][$0])" }.joined(separator: ", ")
            var text = "\(i + 1). \(event)"
            for change in Show.changes(states[i], states[i + 1]) { text += " [n\(change.node) \(change.text)]" }
            lines.append(text.replacingOccurrences(of: "\n", with: " "))
            lines.append("\(hosts[host]) {\(clock)}")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
