import RaftNode

/// One client request: a line of space-separated words. Keys and values are words of 1 to
/// 256 bytes with no spaces or control characters.
///
///     GET KEY [stale|default|consistent]   → VALUE v | NONE
///     PUT KEY VALUE                        → OK
///     CAS KEY EXPECTED NEW                 → OK | MISMATCH [current]
///     STATS                                → STATS id=… role=… term=… leader=… commit=… applied=… syncs=…
///     CUT                                  → OK   (closes the peer connections: a fault, for tests)
///
/// Failures: `ERR reason` (a bad request), `NOTLEADER id` (ask that member; 0 = none known),
/// `DROPPED` (certainly not carried out), `UNKNOWN` (may or may not have been: a timeout).
enum Request: Equatable {
    case get(String, ReadMode)
    case put(String, String)
    case cas(String, expected: String, new: String)
    case stats
    case cut

    struct Invalid: Error {
        let reason: String
    }

    init(line: String) throws(Invalid) {
        let words = line.split(separator: " ", omittingEmptySubsequences: true).map(String.init)
        guard let verb = words.first else { throw Invalid(reason: "empty request") }
        let operands = Array(words.dropFirst())
        func expect(_ count: ClosedRange<Int>, _ usage: String) throws(Invalid) {
            guard count.contains(operands.count) else { throw Invalid(reason: "usage: \(usage)") }
            for word in operands.prefix(count.lowerBound) where !Self.isWord(word) {
                throw Invalid(reason: "'\(word.prefix(40))' is not a key or value (1-256 printable bytes, no spaces)")
            }
        }
        switch verb.uppercased() {
        case "GET":
            try expect(1...2, "GET KEY [stale|default|consistent]")
            let mode: ReadMode
            switch operands.count == 2 ? operands[1] : "default" {
            case "stale": mode = .stale
            case "default": mode = .default
            case "consistent": mode = .consistent
            case let other: throw Invalid(reason: "read mode '\(other.prefix(40))' is not stale, default or consistent")
            }
            self = .get(operands[0], mode)
        case "PUT":
            try expect(2...2, "PUT KEY VALUE")
            self = .put(operands[0], operands[1])
        case "CAS":
            try expect(3...3, "CAS KEY EXPECTED NEW")
            self = .cas(operands[0], expected: operands[1], new: operands[2])
        case "STATS":
            try expect(0...0, "STATS")
            self = .stats
        case "CUT":
            try expect(0...0, "CUT")
            self = .cut
        default:
            throw Invalid(reason: "unknown request '\(verb.prefix(40))' (GET, PUT, CAS, STATS, CUT)")
        }
    }

    static func isWord(_ word: String) -> Bool {
        (1...256).contains(word.utf8.count) && word.utf8.allSatisfy { (0x21...0x7e).contains($0) }
    }

    /// The log command for a write.
    var command: [UInt8]? {
        switch self {
        case let .put(key, value): Array("put \(key) \(value)".utf8)
        case let .cas(key, expected, new): Array("cas \(key) \(expected) \(new)".utf8)
        default: nil
        }
    }
}
