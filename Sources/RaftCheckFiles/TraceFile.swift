import Foundation
import RaftSim

/// Reads and writes trace files (JSON, snake_case keys); writes go through `writeOutput`.
public enum TraceFile {
    public static func write(_ trace: Trace, to path: String) throws(InputError) {
        try writeJSON(trace, to: path, what: "trace")
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
        let trace: Trace
        do {
            trace = try decoder.decode(Trace.self, from: data)
        } catch let DecodingError.dataCorrupted(context) where context.codingPath.isEmpty {
            // Foundation says only "not valid JSON" for a number that does not fit its field.
            if let (field, number) = misfitNumber(in: data) {
                throw InputError(file: path, field: field, message: "the number \(number) does not fit: expected a non-negative integer")
            }
            throw InputError(file: path, message: "\(context.debugDescription) (or a number does not fit its field)")
        } catch let DecodingError.keyNotFound(key, context) {
            throw InputError(file: path, field: fieldPath(context.codingPath + [key]), message: "missing")
        } catch let DecodingError.typeMismatch(_, context), let DecodingError.valueNotFound(_, context),
                let DecodingError.dataCorrupted(context) {
            throw InputError(file: path, field: fieldPath(context.codingPath), message: context.debugDescription)
        } catch {
            throw InputError(file: path, message: "\(error)")
        }
        if let property = trace.violation?.property, PropertyName(rawValue: property) == nil {
            throw InputError(file: path, field: "violation.property",
                             message: "unknown property '\(property)' (known: \(PropertyName.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
        if let problem = trace.spec.problems().first {
            throw InputError(file: path, field: "spec.\(problem.field)", message: problem.message)
        }
        var events: [Event] = []
        let nodes = 1...UInt64(trace.spec.nodes)
        for (i, traceEvent) in trace.events.enumerated() {
            let event: Event
            do {
                event = try traceEvent.event()
            } catch {
                throw InputError(file: path, field: "events[\(i)]", message: "event \(i + 1): \(error)")
            }
            var ids = [event.node.rawValue] + (event.message.map { [$0.from.rawValue, $0.to.rawValue] } ?? [])
            if case .reconfigure(_, let change) = event { ids.append(change.node.rawValue) }
            if let bad = ids.first(where: { !nodes.contains($0) }) {
                throw InputError(file: path, field: "events[\(i)]", message: "event \(i + 1): node \(bad) is not in the spec's \(trace.spec.nodes) nodes")
            }
            if case .partition(let side) = event, side >> trace.spec.nodes != 0 {
                throw InputError(file: path, field: "events[\(i)].side", message: "event \(i + 1): node outside the spec's \(trace.spec.nodes) nodes")
            }
            events.append(event)
        }
        return (trace, events)
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
    private static func fieldPath(_ path: [CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\(snakeCase($0.stringValue))" }.joined().trimmingCharacters(in: CharacterSet(charactersIn: "."))
    }

    private static func snakeCase(_ key: String) -> String {
        key.reduce(into: "") { name, c in
            if c.isUppercase { name += "_" + c.lowercased() } else { name.append(c) }
        }
    }
}
