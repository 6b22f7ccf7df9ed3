import ArgumentParser
import RaftSim
import RaftCheckFiles

/// The options `check` and `fuzz` share: the spec, threads, the time budget, the mutation, and
/// where results go.
struct RunOptions: ParsableArguments {
    @Argument(help: "The spec file (YAML; see specs/README.md).")
    var spec: String

    @Option(help: "Threads (the result does not depend on it).")
    var workers = 1

    @Option(help: "Stop after this many seconds (overrides the spec).")
    var timeLimit: Double?

    @Option(help: "Stop when resident memory passes this many MiB.")
    var maxMemory: Int?

    @Option(help: "Run against a bug-zoo mutation of RaftCore (or 'none'), overriding the spec.")
    var mutation: String?

    @Option(help: "Where to write a violation's trace (default: <spec name>.trace.json; fuzz: <spec name>.fuzz-trace.json).")
    var traceOut: String?

    @Option(help: "Write the summary as JSON to this file.")
    var statsJson: String?

    @Option(help: "Append progress to this file as it goes, one JSON object per line.")
    var progressJsonl: String?

    @Flag(help: "Print how often each event kind was enabled, taken, and led to a new state.")
    var coverage = false

    func validate() throws {
        try validateWorkers(workers)
        if let timeLimit, !(timeLimit > 0) { throw ValidationError("--time-limit must be positive") }
        try validateMaxMemory(maxMemory)
    }

    /// `--mutation`, applied to a cluster spec ('none': the real core).
    /// The `--progress-jsonl` file, opened (nil: none asked for).
    func progressLog() throws(InputError) -> ProgressLog? {
        try progressJsonl.map { (path) throws(InputError) in try ProgressLog(path: path) }
    }

    func applyMutation(to spec: inout Spec) {
        if let mutation { spec.override(mutation: mutation) }
    }
}

/// The most threads any command runs: more than any machine this runs on has cores, and few
/// enough that per-worker allocations stay small.
let maxWorkers = 256

/// `--workers` of every command: 1...maxWorkers.
func validateWorkers(_ workers: Int) throws {
    guard (1...maxWorkers).contains(workers) else { throw ValidationError("--workers must be between 1 and \(maxWorkers)") }
}

/// `--max-memory` (MiB): 1 MiB up to 1 PiB, so the byte count cannot overflow.
func validateMaxMemory(_ megabytes: Int?) throws {
    if let megabytes, !(1...(1 << 30)).contains(megabytes) { throw ValidationError("--max-memory must be between 1 and \(1 << 30) (MiB)") }
}
