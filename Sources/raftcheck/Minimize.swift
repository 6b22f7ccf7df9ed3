import ArgumentParser
import Foundation
import RaftExplorer
import RaftSim
import RaftCheckFiles

/// `raftcheck minimize TRACE --out F`: shrinks a counterexample, keeping its property.
struct Minimize: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Shrink a trace while the same property keeps failing; write the result.")

    @Argument(help: "The trace file (JSON) of a violation.")
    var trace: String

    @Option(help: "Where to write the minimized trace.")
    var out: String

    @Option(help: "Write the summary as JSON to this file.")
    var statsJson: String?

    @Option(help: "Distinct states the last pass, a breadth-first search for a shorter scenario, may explore (0: skip it).")
    var searchBudget = Minimizer.defaultSearchBudget

    @Option(help: "Events the random walks that look for a shorter scenario may take in all, per pass (0: skip them).")
    var walkBudget = Minimizer.defaultWalkBudget

    @Option(help: "Threads for the two searches (the result does not depend on them).")
    var workers = 1

    @Option(help: "Stop after this many seconds (or at SIGINT/SIGTERM) and write the shortest trace found so far, which may not be 1-minimal.")
    var timeLimit: Double?

    static let maxSearchBudget = 100_000_000
    static let maxWalkBudget = 1_000_000_000

    func validate() throws {
        if !(0...Self.maxSearchBudget).contains(searchBudget) { throw ValidationError("--search-budget must be between 0 and \(Self.maxSearchBudget)") }
        if !(0...Self.maxWalkBudget).contains(walkBudget) { throw ValidationError("--walk-budget must be between 0 and \(Self.maxWalkBudget)") }
        if let timeLimit, !(timeLimit > 0) { throw ValidationError("--time-limit must be positive") }
        try validateWorkers(workers)
    }

    func run() throws {
        let (trace, events) = try TraceFile.read(self.trace)
        guard let property = trace.violation?.property else {
            throw InputError(file: self.trace, field: "violation", message: "the trace records no violation to keep")
        }
        let limits = RunLimits(timeLimit: timeLimit)
        let clock = limits.clock
        var minimizer = Minimizer(model: ClusterModel(spec: trace.spec), property: property)
        minimizer.searchBudget = searchBudget
        minimizer.walkBudget = walkBudget
        minimizer.workers = workers
        minimizer.shouldStop = limits.reached
        // A trap ends the process that meets it: each candidate runs in a child.
        if property == PropertyName.noTrap.rawValue { minimizer.isolated = { model, events in IsolatedReplay.untilTrap(events, on: model) } }
        guard let minimized = minimizer.minimize(events) else {
            print("the trace does not reproduce \(property) (under mutation \(trace.spec.mutation ?? "none"))")
            throw ExitCode(Exit.diverged.rawValue)
        }
        let seconds = clock.seconds
        let spec = minimizer.model.spec
        let cluster = spec.nodes < trace.spec.nodes ? ", cluster \(trace.spec.nodes) -> \(spec.nodes) nodes" : ""
        var result = Trace(tool: "raftcheck \(RaftCheck.version)", spec: spec, seed: trace.seed, run: trace.run, events: minimized,
                           violation: TraceViolation(property: property, step: minimized.count,
                                                     message: "\(property) violated after \(minimized.count) events (minimized from \(events.count))"))
        result.mutation = trace.mutation
        try TraceFile.write(result, to: out)
        print("minimized \(self.trace): \(events.count) -> \(minimized.count) events\(cluster), \(property) kept, \(minimizer.replays) replays\(minimizer.foundByWalks ? ", shorter scenario found by random walks" : "")\(minimizer.foundBySearch ? ", shortest found by search" : ""), \(String(format: "%.2f", seconds)) s\(minimizer.stopped ? ", stopped early (\(limits.reason)): may not be 1-minimal" : ""); written to \(out)")
        if let statsJson {
            struct Summary: Encodable {
                var schemaVersion = statsSchemaVersion
                var mode = "minimize"
                var trace: String
                var property: String
                var originalLength: Int
                var minimizedLength: Int
                var originalNodes: Int
                var minimizedNodes: Int
                var replays: Int
                var foundByWalks: Bool
                var foundBySearch: Bool
                var complete: Bool
                var elapsedSeconds: Double
                var out: String
            }
            try writeSummary(Summary(trace: self.trace, property: property, originalLength: events.count, minimizedLength: minimized.count,
                                     originalNodes: trace.spec.nodes, minimizedNodes: spec.nodes,
                                     replays: minimizer.replays, foundByWalks: minimizer.foundByWalks,
                                     foundBySearch: minimizer.foundBySearch, complete: !minimizer.stopped, elapsedSeconds: seconds, out: out), to: statsJson)
        }
    }
}
