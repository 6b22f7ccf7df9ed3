import Foundation
import RaftExplorer
import RaftSim

/// Set by SIGINT/SIGTERM; the search stops at its next batch and still reports (and writes any
/// trace it found).
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

func installInterruptHandler() {
    signal(SIGINT) { _ in interruptRequested = 1 }
    signal(SIGTERM) { _ in interruptRequested = 1 }
}

/// The resident memory of this process, in bytes (Linux /proc).
func residentMemory() -> Int {
    guard let text = try? String(contentsOfFile: "/proc/self/statm", encoding: .utf8),
          let pages = text.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) else { return 0 }
    return pages * Int(sysconf(Int32(_SC_PAGESIZE)))
}

func formatCount(_ n: Int) -> String {
    switch n {
    case ..<10_000: "\(n)"
    case ..<10_000_000: String(format: "%.1fK", Double(n) / 1e3)
    default: String(format: "%.1fM", Double(n) / 1e6)
    }
}

func formatBytes(_ n: Int) -> String {
    switch n {
    case ..<(1 << 20): String(format: "%.1f KB", Double(n) / 1024)
    case ..<(1 << 30): String(format: "%.1f MB", Double(n) / 1_048_576)
    default: String(format: "%.2f GB", Double(n) / 1_073_741_824)
    }
}

/// A stopwatch for the command line (the only place that reads a clock).
struct Stopwatch {
    private let start = ContinuousClock.now
    var seconds: Double {
        let d = ContinuousClock.now - start
        return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }
}

/// An optional written as JSON `null` when absent (synthesized coding would omit the key).
struct Nullable<Value: Encodable>: Encodable {
    var value: Value?

    func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        if let value { try container.encode(value) } else { try container.encodeNil() }
    }
}

/// The `--stats-json` object (field names fixed by the architecture brief).
struct Stats: Encodable {
    struct Violation: Encodable {
        var property: String
        var trace: String
        var length: Int
    }

    var mode: String
    var spec: String
    var seed: UInt64
    var complete: Bool
    var end: String
    var generatedStates: Int
    var distinctStates: Int
    var maxDepth: Int
    var elapsedSeconds: Double
    var statesPerSecond: Double
    var distinctStatesPerSecond: Double
    var workers: Int
    var symmetry: Bool
    var mutation: Nullable<String>
    var fingerprintBits: Int
    var fingerprintBytes: Int
    var bytesPerDistinctState: Double
    var collisionProbability: Double
    var peakMemoryBytes: Int
    var unsatisfiedSometimes: [String]
    var violation: Nullable<Violation>

    func write(to path: String) throws(InputError) { try writeSummary(self, to: path) }
}

/// Writes a summary (`--stats-json`) as JSON with snake_case keys, atomically.
func writeSummary<T: Encodable>(_ value: T, to path: String) throws(InputError) {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
    do {
        var data = try encoder.encode(value)
        data.append(0x0A)
        try data.write(to: URL(fileURLWithPath: path), options: .atomic)
    } catch {
        throw InputError(file: path, message: "cannot write stats: \(error.localizedDescription)")
    }
}
