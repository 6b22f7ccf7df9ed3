import Foundation
import RaftExplorer
import RaftSim
import RaftCheckFiles

/// Set by SIGINT/SIGTERM; the search stops at its next batch and still reports (and writes any
/// trace it found).
nonisolated(unsafe) var interruptRequested: sig_atomic_t = 0

func installInterruptHandler() {
    signal(SIGINT) { _ in interruptRequested = 1 }
    signal(SIGTERM) { _ in interruptRequested = 1 }
    unblockInterrupts()
}

/// SIGINT and SIGTERM reach this process even if a parent started it with them blocked (the
/// mask is inherited).
func unblockInterrupts() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
}

/// Sends what was printed on now: into a pipe stdout is block-buffered, and a CI log (or a
/// test) should see a run's header and progress as they happen.
func flushOutput() { fflush(nil) }

/// The peak resident memory of this process so far, in bytes: Linux's high-water mark of this
/// program's memory (`VmHWM` in /proc/self/status), exact where sampling `residentMemory`
/// misses short peaks. `ru_maxrss` is the same figure elsewhere; on Linux it also keeps the
/// peak of the process that started this one (it survives `execve`), so a tool started by a
/// large process would report that process's peak.
func peakResidentMemory() -> Int {
    if let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
       let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
       let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Int($0) }) {
        return kilobytes * 1024
    }
    var usage = rusage()
    guard getrusage(RUSAGE_SELF.rawValue, &usage) == 0 else { return 0 }
    return usage.ru_maxrss * 1024
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

/// When a long run stops early: at SIGINT/SIGTERM, its time limit or its memory limit, whichever
/// comes first. Installs the interrupt handler; `reason` names what stopped the run.
final class RunLimits {
    let clock = Stopwatch()
    let timeLimit: Double?
    /// MiB of resident memory.
    let maxMemory: Int?
    private(set) var reason = ""
    /// `reason` as the stats' `end`: interrupted, time_limit or memory_limit.
    var end: String { reason.replacingOccurrences(of: " ", with: "_") }

    init(timeLimit: Double?, maxMemory: Int? = nil) {
        (self.timeLimit, self.maxMemory) = (timeLimit, maxMemory)
        installInterruptHandler()
    }

    func reached() -> Bool {
        if interruptRequested != 0 { reason = "interrupted" }
        else if let timeLimit, clock.seconds >= timeLimit { reason = "time limit" }
        else if let maxMemory, residentMemory() >= maxMemory << 20 { reason = "memory limit" }
        else { return false }
        return true
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

/// How a `check` or `fuzz` run ended: its exit code, its stats' `end`, and the violation found.
/// `gate` reads it directly; the commands exit with `exit`.
struct Verdict {
    var exit: Exit
    var end: String
    var violation: Stats.Violation?
}

/// The version of every `--stats-json` object (docs/commands.md): fields are only added within
/// a version.
let statsSchemaVersion = 1

/// The `--stats-json` object of `check` and `fuzz` (docs/commands.md). Fields one mode does not
/// have are nil and left out.
struct Stats: Encodable {
    struct Violation: Encodable {
        var property: String
        var trace: String
        var length: Int
    }

    var schemaVersion = statsSchemaVersion
    var mode: String
    var spec: String
    var seed: UInt64
    var complete: Bool
    /// check: complete, violation, state_limit, depth_limit; fuzz: violation, runs_done; both:
    /// interrupted, time_limit, memory_limit.
    var end: String
    /// fuzz: events (a walk generates one state per event).
    var generatedStates: Int
    var distinctStates: Int
    var maxDepth: Int
    var elapsedSeconds: Double
    var statesPerSecond: Double
    var workers: Int
    var mutation: Nullable<String>
    var violation: Nullable<Violation>
    // check only
    var distinctStatesPerSecond: Double?
    var symmetry: Bool?
    var fingerprintBits: Int?
    var fingerprintBytes: Int?
    var bytesPerDistinctState: Double?
    var collisionProbability: Double?
    var peakMemoryBytes: Int?
    /// BFS: the most bytes its queue spilled to disk at once.
    var queueDiskBytesPeak: Int?
    var unsatisfiedSometimes: [String]?
    // fuzz only
    var runs: Int?
    var events: Int?
    var eventsPerSecond: Double?
    var distinctStatesSeen: Int?
    var firstRun: Int?
    var nextRun: Int?
    var swarm: Bool?
    /// Both: by event kind, how often it was enabled, taken, and led to a new state.
    var eventCoverage: [KindCoverage]?

    func write(to path: String) throws(InputError) { try writeSummary(self, to: path) }
}

/// Writes a summary (`--stats-json`).
func writeSummary<T: Encodable>(_ value: T, to path: String) throws(InputError) {
    try writeJSON(value, to: path, what: "stats")
}

/// A spec's name as a file name in the working directory, for default output paths: letters,
/// digits, `.`, `_` and `-` kept, anything else (a `/`, a control character) becomes `_`, and no
/// leading dot, so a name cannot point outside the directory or hide its file.
func fileName(forSpecNamed name: String) -> String {
    let kept = String(name.unicodeScalars.prefix(200).map { scalar -> Character in
        scalar.isASCII && (scalar.properties.isAlphabetic || ("0"..."9").contains(scalar) || "._-".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
    })
    let trimmed = kept.drop { $0 == "." }
    return trimmed.isEmpty ? "unnamed" : String(trimmed)
}

/// Writes an output at the end of a run. A failure is printed to stderr and makes the exit 2
/// (the path given cannot be written), except that a violation found keeps exit 1: a write that
/// fails never hides a finding. Returns whether the write succeeded.
@discardableResult
func writeReporting(_ exit: inout Exit, _ write: () throws(InputError) -> Void) -> Bool {
    do throws(InputError) { try write(); return true } catch {
        FileHandle.standardError.write(Data("error: \(error)\n".utf8))
        if exit != .violation { exit = .badInput }
        return false
    }
}
