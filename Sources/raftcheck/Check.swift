import ArgumentParser
import Foundation
import RaftExplorer
import RaftSim

/// `raftcheck check SPEC`: exhaustive search of the spec's state space.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explore every state of a spec (BFS by default) and check its properties.")

    @Argument(help: "The spec file (YAML; see specs/README.md).")
    var spec: String

    @Option(help: "Threads expanding states (the result does not depend on it).")
    var workers = 1

    @Option(help: "Stop after this many distinct states (overrides the spec).")
    var maxStates: Int?

    @Option(help: "Stop after this many seconds (overrides the spec).")
    var timeLimit: Double?

    @Option(help: "Stop when resident memory passes this many MiB.")
    var maxMemory: Int?

    @Option(help: "Where to write the counterexample trace (default: <spec name>.trace.json).")
    var traceOut: String?

    @Option(help: "Write the summary as JSON to this file.")
    var statsJson: String?

    @Option(help: "Run against a bug-zoo mutation of RaftCore (or 'none'), overriding the spec.")
    var mutation: String?

    @Flag(help: "Turn symmetry reduction off.")
    var noSymmetry = false

    @Option(help: "Search strategy: bfs or dfs (overrides the spec).")
    var strategy: Spec.Strategy?

    func validate() throws {
        guard workers >= 1 else { throw ValidationError("--workers must be at least 1") }
        if let maxStates, maxStates < 1 { throw ValidationError("--max-states must be at least 1") }
        if let timeLimit, !(timeLimit > 0) { throw ValidationError("--time-limit must be positive") }
        if let maxMemory, maxMemory < 1 { throw ValidationError("--max-memory must be at least 1") }
    }

    func run() throws {
        var spec = try SpecLoader.load(path: self.spec)
        if let mutation { spec.mutation = mutation == "none" ? nil : mutation }
        if noSymmetry { spec.symmetry = false }
        if let strategy { spec.search.strategy = strategy }
        if let maxStates { spec.search.maxStates = maxStates }
        if let timeLimit { spec.search.timeLimit = timeLimit }
        if let problem = spec.problems().first {
            throw InputError(file: self.spec, field: problem.field, message: problem.message)
        }
        let outcome = Self.explore(spec, specPath: self.spec, workers: workers, maxMemory: maxMemory, traceOut: traceOut)
        if let statsJson { try outcome.stats.write(to: statsJson) }
        throw ExitCode(outcome.exit.rawValue)
    }

    struct Outcome {
        var exit: Exit
        var stats: Stats
    }

    /// Runs the search, prints header, progress and summary, writes any counterexample.
    static func explore(_ spec: Spec, specPath: String, workers: Int, maxMemory: Int?, traceOut: String?) -> Outcome {
        let model = ClusterModel(spec: spec)
        var options = SearchOptions()
        options.workers = workers
        options.maxStates = spec.search.maxStates
        options.maxDepth = spec.bounds.maxDepth
        options.hashWidth = spec.search.hashBits
        print("raftcheck check \(specPath): spec '\(spec.name)', seed \(spec.raft.seed), \(spec.search.strategy.rawValue), workers \(workers), symmetry \(spec.symmetry ? "on" : "off"), hash \(spec.search.hashBits.rawValue)-bit, mutation \(spec.mutation ?? "none")")
        print("  nodes \(spec.nodes), ready steps \(spec.events.readySteps.rawValue), bounds: term \(spec.bounds.maxTerm), proposals \(spec.bounds.maxProposals), in flight \(spec.bounds.maxInFlight), crashes \(spec.bounds.maxCrashes), restarts \(spec.bounds.maxRestarts), drops \(spec.bounds.maxDrops), duplicates \(spec.bounds.maxDuplicates), depth \(spec.bounds.maxDepth.map(String.init) ?? "none")")
        installInterruptHandler()
        let clock = Stopwatch()
        var lastProgress = 0.0
        var peakMemory = residentMemory()
        var stopReason = ""
        let shouldStop = { () -> Bool in
            if interruptRequested != 0 { stopReason = "interrupted"; return true }
            if let limit = spec.search.timeLimit, clock.seconds >= limit { stopReason = "time limit"; return true }
            if let maxMemory, residentMemory() >= maxMemory << 20 { stopReason = "memory limit"; return true }
            return false
        }
        let progress = { (stats: SearchStats) in
            let now = clock.seconds
            guard now - lastProgress >= 2 else { return }
            lastProgress = now
            let memory = residentMemory()
            peakMemory = max(peakMemory, memory)
            print("progress: \(String(format: "%.0f", now))s generated \(formatCount(stats.generated)) distinct \(formatCount(stats.distinct)) depth \(stats.maxDepth) queue \(formatCount(stats.queued)) \(formatCount(Int(Double(stats.generated) / max(now, 1e-9))))/s memory \(formatBytes(memory))")
            fflush(nil)
        }
        let report: SearchReport<Event> = switch spec.search.strategy {
        case .bfs: BreadthFirstSearch(model: model, options: options).run(shouldStop: shouldStop, progress: progress)
        case .dfs: DepthFirstSearch(model: model, options: options).run(shouldStop: shouldStop, progress: progress)
        }
        let elapsed = clock.seconds
        peakMemory = max(peakMemory, residentMemory())
        let s = report.stats

        var violation: Stats.Violation?
        var exit = Exit.clean
        if let counterexample = report.counterexample {
            let path = traceOut ?? "\(spec.name).trace.json"
            let trace = Trace(tool: "raftcheck \(RaftCheck.version)", spec: spec, seed: nil, events: counterexample.actions,
                              violation: TraceViolation(property: counterexample.property, step: counterexample.actions.count,
                                                        message: "\(counterexample.property) violated after \(counterexample.actions.count) events"))
            do {
                try TraceFile.write(trace, to: path)
                print("VIOLATION: \(counterexample.property) after \(counterexample.actions.count) events; trace written to \(path)")
                for (i, event) in counterexample.actions.enumerated() { print("  \(i + 1). \(event)") }
                exit = .violation
            } catch {
                print("VIOLATION: \(counterexample.property) after \(counterexample.actions.count) events; the trace could not be written: \(error)")
                exit = .internalError
            }
            violation = Stats.Violation(property: counterexample.property, trace: path, length: counterexample.actions.count)
        } else {
            let how = switch report.end {
            case .complete: "complete"
            case .stateLimit: "incomplete: state limit"
            case .depthLimit: "incomplete: depth-first search pruned at the depth bound"
            case .stopped: "incomplete: \(stopReason)"
            case .violation: "violation"
            }
            print("result: no violation (\(how))")
        }
        let rate = Double(s.generated) / max(elapsed, 1e-9)
        let distinctRate = Double(s.distinct) / max(elapsed, 1e-9)
        let collision = FingerprintSet.collisionProbability(distinct: s.distinct, generated: s.generated, width: spec.search.hashBits)
        print("states: generated \(s.generated), distinct \(s.distinct), depth \(s.maxDepth), \(String(format: "%.2f", elapsed)) s, \(Int(rate)) generated/s, \(Int(distinctRate)) distinct/s")
        print("fingerprints: \(spec.search.hashBits.rawValue)-bit, \(formatBytes(s.fingerprintBytes)) (\(String(format: "%.1f", Double(s.fingerprintBytes) / Double(max(s.distinct, 1)))) B per distinct state), collision probability \(String(format: "%.1e", collision)); peak memory \(formatBytes(peakMemory))")
        if !report.unsatisfiedSometimes.isEmpty {
            print("note: never reached: \(report.unsatisfiedSometimes.joined(separator: ", ")) (the bounds may be too tight)")
        }
        let stats = Stats(
            mode: "check", spec: specPath, seed: spec.raft.seed, complete: report.complete, end: report.end.rawValue,
            generatedStates: s.generated, distinctStates: s.distinct, maxDepth: s.maxDepth, elapsedSeconds: elapsed,
            statesPerSecond: rate, distinctStatesPerSecond: distinctRate, workers: workers, symmetry: spec.symmetry,
            mutation: Nullable(value: spec.mutation), fingerprintBits: spec.search.hashBits.rawValue, fingerprintBytes: s.fingerprintBytes,
            bytesPerDistinctState: Double(s.fingerprintBytes) / Double(max(s.distinct, 1)), collisionProbability: collision,
            peakMemoryBytes: peakMemory, unsatisfiedSometimes: report.unsatisfiedSometimes, violation: Nullable(value: violation))
        return Outcome(exit: exit, stats: stats)
    }
}

extension Spec.Strategy: ExpressibleByArgument {}
