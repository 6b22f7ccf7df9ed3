import RaftCore
import RaftNode

/// The replicated key-value map: commands come through the log, in order, on every member.
///
/// A command is one line of text: `put KEY VALUE` or `cas KEY EXPECTED NEW` (set NEW only if
/// KEY holds EXPECTED). Its result is the client's answer: `OK`, or `MISMATCH` followed by the
/// value held (if any).
final class KeyValueMachine: StateMachine {
    private(set) var values: [String: String] = [:]

    func get(_ key: String) -> String? { values[key] }

    func apply(_ command: [UInt8], at index: LogIndex) -> [UInt8] {
        let words = String(decoding: command, as: UTF8.self).split(separator: " ").map(String.init)
        switch words.first {
        case "put" where words.count == 3:
            values[words[1]] = words[2]
            return Array("OK".utf8)
        case "cas" where words.count == 4:
            guard values[words[1]] == words[2] else { return Array((["MISMATCH"] + [values[words[1]]].compactMap { $0 }).joined(separator: " ").utf8) }
            values[words[1]] = words[3]
            return Array("OK".utf8)
        default:
            // Only this program proposes commands, and it checks them first.
            return Array("ERR not a command".utf8)
        }
    }

    /// `KEY VALUE` lines, sorted by key: the same state always gives the same bytes.
    func snapshot() -> [UInt8] {
        Array(values.keys.sorted().map { "\($0) \(values[$0]!)\n" }.joined().utf8)
    }

    func restore(_ data: [UInt8]) throws {
        var restored: [String: String] = [:]
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            let words = line.split(separator: " ")
            guard words.count == 2 else { throw Damaged() }
            restored[String(words[0])] = String(words[1])
        }
        values = restored
    }

    struct Damaged: Error, CustomStringConvertible {
        var description: String { "the snapshot is not a key-value map" }
    }
}
