import Foundation
import RaftSim

/// The Informal Trace Format (ITF: Apalache's ADR-015, read by Apalache, Quint and itf-rs):
/// a JSON object with `vars` and `states`, each state a record of the variables' values, with
/// integers tagged `{"#bigint": "…"}`, tuples `#tup`, sets `#set` and maps `#map`.
///
/// RaftCheck writes a trace's every state this way (`show --format itf`) and reads it back as
/// the trace itself: `#meta.raftcheck` holds the trace's header (format, version, tool, spec,
/// mutation, seed, violation) and each state's `action` variable the event that led to it, so
/// `replay`, `minimize` and `show` take an ITF trace wherever they take a JSON one.
public enum ITF {
    /// Where ADR-015 is published, written into every file's `#meta`.
    public static let formatDescription = "https://apalache-mc.org/docs/adr/015adr-trace.html"

    /// Whether a decoded JSON object is an ITF trace.
    static func isITF(_ object: [String: Any]) -> Bool { object["states"] is [Any] && object["vars"] is [Any] }

    /// Plain JSON (from `JSONSerialization`) as an ITF value: every integer a `#bigint`.
    public static func tagged(_ value: Any) -> Any {
        switch value {
        case let number as NSNumber where !isBoolean(number):
            return ["#bigint": number.stringValue]
        case let array as [Any]:
            return array.map(tagged)
        case let object as [String: Any]:
            return object.mapValues(tagged)
        default:
            return value
        }
    }

    /// An ITF value as plain JSON: `#bigint` back to a number, tuples and sets to arrays, maps
    /// to arrays of two-element arrays. Throws the path of anything else tagged, or a number
    /// that is not an integer written as ITF requires.
    static func plain(_ value: Any, at path: String) throws(InputError.Field) -> Any {
        switch value {
        case let array as [Any]:
            var out: [Any] = []
            for (i, item) in array.enumerated() { out.append(try plain(item, at: "\(path)[\(i)]")) }
            return out
        case let object as [String: Any]:
            if let digits = object["#bigint"] {
                guard object.count == 1, let text = digits as? String else {
                    throw InputError.Field(path, "a #bigint holds the digits of an integer as a string")
                }
                if let number = UInt64(text) { return NSNumber(value: number) }
                if let number = Int64(text) { return NSNumber(value: number) }
                throw InputError.Field(path, "the #bigint '\(text.prefix(40))' is not a 64-bit integer")
            }
            for tag in ["#tup", "#set"] where object[tag] != nil {
                guard object.count == 1, let items = object[tag] as? [Any] else { throw InputError.Field(path, "\(tag) holds an array") }
                return try plain(items, at: "\(path).\(tag)")
            }
            if let pairs = object["#map"] {
                guard object.count == 1, let pairs = pairs as? [Any] else { throw InputError.Field(path, "#map holds an array of pairs") }
                return try plain(pairs, at: "\(path).#map")
            }
            if let tag = object.keys.sorted().first(where: { $0.hasPrefix("#") }) {
                throw InputError.Field("\(path).\(tag)", "not a value RaftCheck reads")
            }
            var out: [String: Any] = [:]
            for key in object.keys.sorted() { out[key] = try plain(object[key]!, at: "\(path).\(key)") }
            return out
        default:
            return value
        }
    }

    /// JSON's `true` and `false` come back as NSNumbers too; their type code is `c` (char).
    static func isBoolean(_ number: NSNumber) -> Bool { String(cString: number.objCType) == "c" }

    /// The RaftCheck trace (JSON) an ITF trace holds: the header from `#meta.raftcheck`, the
    /// events from the `action` of every state after the first.
    static func trace(from object: [String: Any], file path: String) throws(InputError) -> Data {
        guard let meta = object["#meta"] as? [String: Any], let header = meta["raftcheck"] as? [String: Any] else {
            throw InputError(file: path, field: "#meta.raftcheck", message: "missing: an ITF trace RaftCheck replays carries its spec and header there")
        }
        guard let states = object["states"] as? [Any], !states.isEmpty else {
            throw InputError(file: path, field: "states", message: "expected at least the initial state")
        }
        var trace: [String: Any]
        var events: [Any] = []
        do throws(InputError.Field) {
            guard let plainHeader = try plain(header, at: "#meta.raftcheck") as? [String: Any] else {
                throw InputError.Field("#meta.raftcheck", "expected an object")
            }
            trace = plainHeader
            for (i, state) in states.enumerated().dropFirst() {
                guard let record = state as? [String: Any], let action = record["action"] else {
                    throw InputError.Field("states[\(i)].action", "missing: the event that led to the state")
                }
                events.append(try plain(action, at: "states[\(i)].action"))
            }
        } catch {
            throw InputError(file: path, field: error.field, message: error.message)
        }
        (trace["events"], trace["states"], trace["vars"]) = (events, nil, nil)
        guard let data = try? JSONSerialization.data(withJSONObject: trace, options: [.sortedKeys]) else {
            throw InputError(file: path, message: "the ITF trace does not convert to a RaftCheck trace")
        }
        return data
    }
}

extension InputError {
    /// A field and what is wrong with it, before the file is known.
    struct Field: Error {
        var field: String
        var message: String
        init(_ field: String, _ message: String) { (self.field, self.message) = (field, message) }
    }
}
