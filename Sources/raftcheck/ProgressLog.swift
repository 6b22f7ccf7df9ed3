import Foundation
import RaftExplorer
import RaftCheckFiles

/// `--progress-jsonl FILE`: one JSON object per line as a run goes (at most 4 a second, and
/// one at the end), flushed line by line, so a plot or a dashboard can follow a run that is
/// still going. The file is created (or emptied) when the run starts.
final class ProgressLog {
    private let handle: FileHandle
    private var lastWrite = -Double.infinity

    /// Opens `path` for a run; a path that cannot be written is an `InputError` (exit 2) before
    /// the run starts.
    init(path: String) throws(InputError) {
        guard FileManager.default.createFile(atPath: path, contents: nil), let handle = FileHandle(forWritingAtPath: path) else {
            throw InputError(file: path, field: "--progress-jsonl", message: "cannot create the file: \(String(cString: strerror(errno)))")
        }
        self.handle = handle
    }

    deinit { try? handle.close() }

    /// Writes `fields` (keys in the order given) as one line, unless one was written less than
    /// a quarter of a second ago and `final` is false.
    func write(at seconds: Double, final: Bool = false, _ fields: [(key: String, value: Int)]) {
        guard final || seconds - lastWrite >= 0.25 else { return }
        lastWrite = seconds
        var line = "{\"elapsed_seconds\":\(String(format: "%.3f", seconds))"
        for (key, value) in fields {
            line += ",\"\(key)\":\(value)"
        }
        line += final ? ",\"final\":true}\n" : "}\n"
        try? handle.write(contentsOf: Data(line.utf8))
    }
}

/// A kind's counts as the stats write them (`event_coverage`).
struct KindCoverage: Encodable {
    var kind: String
    var enabled: Int
    var taken: Int
    var new: Int

    static func list(_ coverage: EventCoverage) -> [KindCoverage] {
        coverage.byKind.map { KindCoverage(kind: $0.kind, enabled: $0.counts.enabled, taken: $0.counts.taken, new: $0.counts.new) }
    }
}

/// Prints the kinds a run never took though some were enabled: events dead in the spec's
/// bounds. With `all`, a table of every kind (`--coverage`).
func printCoverage(_ coverage: EventCoverage, all: Bool) {
    if all {
        print("coverage by event kind (enabled / taken / new states):")
        for (kind, counts) in coverage.byKind where counts.enabled > 0 {
            print("  \(kind.padding(toLength: 20, withPad: " ", startingAt: 0)) \(counts.enabled) / \(counts.taken) / \(counts.new)")
        }
        let off = coverage.byKind.filter { $0.counts.enabled == 0 }.map(\.kind)
        if !off.isEmpty { print("  never enabled: \(off.joined(separator: ", "))") }
    }
    let dead = coverage.byKind.filter { $0.counts.enabled > 0 && $0.counts.taken == 0 }.map(\.kind)
    if !dead.isEmpty { print("note: enabled but never taken: \(dead.joined(separator: ", "))") }
}
