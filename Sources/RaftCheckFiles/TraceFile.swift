import Foundation
import RaftSim
import RaftSpecModel

/// A trace of either model.
public enum AnyTrace {
    case cluster(Trace, [Event])
    case raftTLA(RaftTLATrace, [RaftTLAModel.Action])
}

/// A behaviour of the raft-tla model (`RaftTLAModel`), replayable: the spec, raft.tla's
/// actions with their arguments (`WireAction`) and the violation. Keys as raft.tla names its
/// message fields (no snake_case). Written by `TraceFile.data`.
public struct RaftTLATrace: Sendable {
    public var format = Trace.formatName
    public var version = Trace.currentVersion
    public var tool: String
    public var spec: RaftTLASpec
    public var events: [WireAction]
    public var violation: TraceViolation?

    public init(tool: String, spec: RaftTLASpec, actions: [RaftTLAModel.Action], violation: TraceViolation?) {
        (self.tool, self.spec, self.violation) = (tool, spec, violation)
        events = actions.map(WireAction.init)
    }

    /// The spec's keys as a spec file writes them.
    var specFields: [String: Any] {
        ["model": "raft-tla", "name": spec.name, "servers": spec.servers, "values": spec.values, "max_term": spec.maxTerm,
         "max_log": spec.maxLog, "max_messages": spec.maxMessages, "max_duplicates": spec.maxDuplicates,
         "symmetry": spec.symmetry, "history": spec.history]
    }
}

/// Reads and writes trace files (JSON, snake_case keys; ITF traces are read too); writes go
/// through `writeOutput`.
public enum TraceFile {
    public static func write(_ trace: Trace, to path: String) throws(InputError) {
        try writeJSON(trace, to: path, what: "trace")
    }

    /// A raft-tla trace as JSON (sorted keys, indented).
    public static func data(_ trace: RaftTLATrace) -> Data {
        var object: [String: Any] = ["format": trace.format, "version": trace.version, "tool": trace.tool, "spec": trace.specFields]
        let encoder = JSONEncoder()
        if let data = try? encoder.encode(trace.events), let events = try? JSONSerialization.jsonObject(with: data) { object["events"] = events }
        if let violation = trace.violation {
            object["violation"] = ["property": violation.property, "step": violation.step, "message": violation.message] as [String: Any]
        }
        var data = (try? JSONSerialization.data(withJSONObject: object, options: [.prettyPrinted, .sortedKeys])) ?? Data()
        data.append(0x0A)
        return data
    }

    public static func write(_ trace: RaftTLATrace, to path: String) throws(InputError) {
        try writeOutput(data(trace), to: path, what: "trace")
    }

    /// A trace of either model (`replay` and `show` take both).
    public static func readAny(_ path: String) throws(InputError) -> AnyTrace {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, message: "cannot read the file")
        }
        return try decodeAny(data, file: path)
    }

    /// `readAny` of bytes already read.
    public static func decodeAny(_ data: Data, file path: String) throws(InputError) -> AnyTrace {
        var json = data
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], ITF.isITF(object) {
            json = try ITF.trace(from: object, file: path)
        }
        if let object = try? JSONSerialization.jsonObject(with: json) as? [String: Any],
           let spec = object["spec"] as? [String: Any], spec["model"] as? String == "raft-tla" {
            return try decodeRaftTLA(json, file: path)
        }
        let (trace, events) = try decode(json, file: path)
        return .cluster(trace, events)
    }

    /// A raft-tla trace: the header and spec checked as for a cluster trace, each action
    /// against the spec's servers and values.
    static func decodeRaftTLA(_ data: Data, file path: String) throws(InputError) -> AnyTrace {
        struct Body: Decodable {
            var format: String
            var version: Int
            var tool: String
            var events: [WireAction]
            var violation: TraceViolation?
        }
        let body = try decodeBody(Body.self, data, JSONDecoder(), file: path)
        guard body.format == Trace.formatName else { throw InputError(file: path, field: "format", message: "expected '\(Trace.formatName)'") }
        guard body.version == Trace.currentVersion else {
            throw InputError(file: path, field: "version", message: "unsupported version \(body.version) (this tool reads \(Trace.currentVersion))")
        }
        guard case .raftTLA(let spec) = try embeddedSpec(data, file: path) else {
            throw InputError(file: path, field: "spec.model", message: "expected raft-tla")
        }
        var actions: [RaftTLAModel.Action] = []
        for (i, event) in body.events.enumerated() {
            do { actions.append(try event.action(in: spec)) } catch {
                throw InputError(file: path, field: "events[\(i)].\(error.field)", message: "event \(i + 1): \(error.message)")
            }
        }
        if let step = body.violation?.step, !(0...actions.count).contains(step) {
            throw InputError(file: path, field: "violation.step", message: "must be between 0 and the number of events (\(actions.count))")
        }
        return .raftTLA(RaftTLATrace(tool: body.tool, spec: spec, actions: actions, violation: body.violation), actions)
    }

    public static func read(_ path: String) throws(InputError) -> (trace: Trace, events: [Event]) {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, message: "cannot read the file")
        }
        return try decode(data, file: path)
    }

    /// Parses and validates a trace; any defect is an `InputError` naming the field (and the
    /// event number), never a crash.
    public static func decode(_ data: Data, file path: String) throws(InputError) -> (trace: Trace, events: [Event]) {
        // An ITF trace (`ITF`) is read as the RaftCheck trace it carries.
        if let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any], ITF.isITF(object) {
            return try decode(ITF.trace(from: object, file: path), file: path)
        }
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        // The format and version first, so a future version is refused by name.
        struct Header: Decodable { var format: String?; var version: Int? }
        guard let header = try? decoder.decode(Header.self, from: data) else {
            throw InputError(file: path, message: "not a JSON trace object")
        }
        guard header.format == Trace.formatName else {
            throw InputError(file: path, field: "format", message: "expected '\(Trace.formatName)', got \(header.format.map { "'\($0)'" } ?? "nothing")")
        }
        guard header.version == Trace.currentVersion else {
            throw InputError(file: path, field: "version", message: "unsupported version \(header.version.map(String.init) ?? "none") (this tool reads \(Trace.currentVersion))")
        }
        // Everything but the spec; the spec goes through the spec loader, as strict as for a
        // spec file (unknown keys, types and ranges), its errors naming `spec.<key>`.
        struct Body: Decodable {
            var tool: String
            var mutation: String?
            var seed: UInt64?
            var run: Int?
            var events: [TraceEvent]
            var violation: TraceViolation?
        }
        let body = try decodeBody(Body.self, data, decoder, file: path)
        guard case .cluster(let spec) = try embeddedSpec(data, file: path) else {
            throw InputError(file: path, field: "spec.model", message: "a raft-tla trace: replay and show read it; this command takes cluster traces")
        }
        if let property = body.violation?.property, PropertyName(rawValue: property) == nil {
            throw InputError(file: path, field: "violation.property",
                             message: "unknown property '\(property)' (known: \(PropertyName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        var events: [Event] = []
        let nodes = 1...UInt64(spec.nodes)
        for (i, traceEvent) in body.events.enumerated() {
            let event: Event
            do {
                event = try traceEvent.event()
            } catch {
                throw InputError(file: path, field: "events[\(i)]", message: "event \(i + 1): \(error)")
            }
            var ids = [event.node.rawValue] + (event.message.map { [$0.from.rawValue, $0.to.rawValue] } ?? [])
            if case .reconfigure(_, let change) = event { ids.append(change.node.rawValue) }
            if let bad = ids.first(where: { !nodes.contains($0) }) {
                throw InputError(file: path, field: "events[\(i)]", message: "event \(i + 1): node \(bad) is not in the spec's \(spec.nodes) nodes")
            }
            if case .partition(let side) = event, side >> spec.nodes != 0 {
                throw InputError(file: path, field: "events[\(i)].side", message: "event \(i + 1): node outside the spec's \(spec.nodes) nodes")
            }
            events.append(event)
        }
        if let step = body.violation?.step, !(0...events.count).contains(step) {
            throw InputError(file: path, field: "violation.step", message: "must be between 0 and the number of events (\(events.count))")
        }
        var trace = Trace(tool: body.tool, spec: spec, seed: body.seed, run: body.run, events: events, violation: body.violation)
        trace.mutation = body.mutation
        return (trace, events)
    }

    /// Decodes a trace's body; every decoding error becomes an `InputError` naming the field as
    /// the file spells it (snake_case where the decoder converts from it).
    private static func decodeBody<T: Decodable>(_ type: T.Type, _ data: Data, _ decoder: JSONDecoder,
                                                 file path: String) throws(InputError) -> T {
        let snakeCase = if case .convertFromSnakeCase = decoder.keyDecodingStrategy { true } else { false }
        do {
            return try decoder.decode(T.self, from: data)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            // Foundation says only "not valid JSON" for a number that does not fit its field.
            if let (field, number) = misfitNumber(in: data) {
                throw InputError(file: path, field: field, message: "the number \(number) does not fit: expected a non-negative integer")
            }
            throw InputError(file: path, message: "\(context.debugDescription) (or a number does not fit its field)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw InputError(file: path, field: fieldPath(context.codingPath + [key], snakeCase: snakeCase), message: "missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw InputError(file: path, field: fieldPath(context.codingPath, snakeCase: snakeCase), message: context.debugDescription)
        } catch {
            throw InputError(file: path, message: "\(error)")
        }
    }

    /// The trace's `spec` object, read by `SpecLoader` (JSON is YAML) and validated.
    private static func embeddedSpec(_ data: Data, file path: String) throws(InputError) -> CheckSpec {
        guard let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any], let object = root["spec"] else {
            throw InputError(file: path, field: "spec", message: "missing")
        }
        guard object is [String: Any], let text = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            throw InputError(file: path, field: "spec", message: "expected an object")
        }
        // Lines and columns would point into the re-written object, not the file: the field says where.
        let located = { (error: InputError) in
            InputError(file: path, field: "spec" + (error.field.map { $0.isEmpty ? "" : ".\($0)" } ?? ""), message: error.message)
        }
        do { return try SpecLoader.parse(String(decoding: text, as: UTF8.self), file: path) } catch { throw located(error) }
    }

    /// The first number (keys in sorted order) that no field of a trace holds: every number in a
    /// trace is a non-negative integer of at most 64 bits, except `spec.search.time_limit`.
    private static func misfitNumber(in data: Data) -> (field: String, number: String)? {
        guard let root = try? JSONSerialization.jsonObject(with: data) else { return nil }
        func find(_ value: Any, _ field: String) -> (String, String)? {
            if let object = value as? [String: Any] {
                for key in object.keys.sorted() {
                    if let found = find(object[key]!, field.isEmpty ? key : "\(field).\(key)") { return found }
                }
            } else if let array = value as? [Any] {
                for (i, item) in array.enumerated() { if let found = find(item, "\(field)[\(i)]") { return found } }
            } else if let number = value as? NSNumber, !(value is Bool) {
                let text = number.stringValue
                let fits = UInt64(text) != nil || field == "spec.search.time_limit" && Double(text)?.isFinite == true
                if !fits { return (field, String(text.prefix(40))) }
            }
            return nil
        }
        return find(root, "")
    }

    /// The path as the file spells it: the decoder's keys are camelCase (`maxTerm`), the
    /// file's snake_case (`max_term`).
    private static func fieldPath(_ path: [CodingKey], snakeCase: Bool) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\(snakeCase ? Self.snakeCase($0.stringValue) : $0.stringValue)" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    private static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { name, c in
            if c.isUppercase { name += "_" + c.lowercased() } else { name.append(c) }
        }
    }
}
