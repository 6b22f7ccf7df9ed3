import ArgumentParser
import Foundation
import RaftExplorer
import RaftSim
import RaftSpecModel
import RaftCheckFiles

/// `raftcheck check SPEC`: exhaustive search of the spec's state space.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explore every state of a spec (BFS by default) and check its properties.")

    @OptionGroup var common: RunOptions

    @Option(help: "Stop after this many distinct states (overrides the spec).")
    var maxStates: Int?

    @Flag(help: "Turn symmetry reduction off.")
    var noSymmetry = false

    @Option(help: "Search strategy: bfs, dfs or random (a seeded swarm campaign; overrides the spec).")
    var strategy: Spec.Strategy?

    @Option(help: "BFS: write a checkpoint into this directory every --checkpoint-minutes and when the run stops early.")
    var checkpoint: String?

    @Option(help: "BFS: minutes between checkpoints (0: after every batch of 8192 states).")
    var checkpointMinutes: Double = 10

    @Option(help: "BFS: go on from the checkpoint in this directory (the same spec, bounds, mutation and release); checkpoints go on there unless --checkpoint names another directory.")
    var resume: String?

    @Option(help: "BFS: MiB of queued states kept in memory; the rest spill to disk.")
    var queueMemory = 256

    @Option(help: "BFS: where queued states spill (an unlinked file; default: $TMPDIR, else /tmp).")
    var spillDir: String?

    var spec: String { common.spec }
    var workers: Int { common.workers }
    var timeLimit: Double? { common.timeLimit }
    var traceOut: String? { common.traceOut }

    func validate() throws {
        if let maxStates, maxStates < 1 { throw ValidationError("--max-states must be at least 1") }
        if !(checkpointMinutes >= 0) { throw ValidationError("--checkpoint-minutes must be 0 or more") }
        if !(1...(1 << 30)).contains(queueMemory) { throw ValidationError("--queue-memory must be between 1 and \(1 << 30) (MiB)") }
    }

    /// The directory checkpoints go to, if any.
    var checkpointDirectory: String? { checkpoint ?? resume }

    func run() throws { throw ExitCode(try execute().exit.rawValue) }

    /// Runs the check (printing as it goes, writing the trace and stats) and says how it ended.
    func execute() throws -> Verdict {
        let outcome: Outcome
        switch try SpecLoader.load(path: self.spec) {
        case .cluster(var spec):
            common.applyMutation(to: &spec)
            if noSymmetry { spec.symmetry = false }
            if let strategy { spec.search.strategy = strategy }
            if let maxStates { spec.search.maxStates = maxStates }
            if let timeLimit { spec.search.timeLimit = timeLimit }
            if let problem = spec.problems().first {
                throw InputError(file: self.spec, field: problem.field, message: problem.message)
            }
            try checkResumable(spec.search.strategy)
            if spec.search.strategy == .random { return try simulate(spec.fuzz.swarm, timeLimit: spec.search.timeLimit) }
            outcome = try checkCluster(spec)
        case .raftTLA(var spec):
            if let flag = common.mutation.map({ _ in "--mutation" }) ?? strategy.map({ _ in "--strategy" }) {
                throw InputError(file: self.spec, field: flag, message: "does not apply to raft-tla models")
            }
            if noSymmetry { spec.symmetry = false }
            if let maxStates { spec.search.maxStates = maxStates }
            if let timeLimit { spec.search.timeLimit = timeLimit }
            outcome = try checkRaftTLA(spec)
        }
        var exit = outcome.exit
        if let statsJson = common.statsJson { writeReporting(&exit) { () throws(InputError) in try outcome.stats.write(to: statsJson) } }
        return Verdict(exit: exit, end: outcome.stats.end, violation: outcome.stats.violation.value)
    }

    /// Where BFS holds its queue: " (X in memory, Y on disk)"; empty for DFS.
    private func queuePlace(_ stats: SearchStats) -> String {
        guard stats.queueBytes + stats.spilledBytes > 0 else { return "" }
        return " (\(formatBytes(stats.queueBytes)) in memory\(stats.spilledBytes > 0 ? ", \(formatBytes(stats.spilledBytes)) on disk" : ""))"
    }

    /// Checkpoints belong to breadth-first search.
    private func checkResumable(_ strategy: Spec.Strategy) throws {
        guard strategy != .bfs, let flag = resume.map({ _ in "--resume" }) ?? checkpoint.map({ _ in "--checkpoint" }) else { return }
        throw InputError(file: spec, field: flag, message: "checkpoints are written by breadth-first search only (the strategy is \(strategy.rawValue))")
    }

    /// Called after a trap's trace is written, just before the process exits (with the
    /// property and the trace's path): the gate writes its report there.
    nonisolated(unsafe) static var afterTrap: ((String, String) -> Void)?

    /// What a checkpoint must have been written for: this release and the spec as checked
    /// (JSON), without the budgets, which a resumed run may change (`explore` adds the model's
    /// image version).
    static func checkpointKey<S: Encodable>(_ spec: S) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = (try? encoder.encode(spec)).map { String(decoding: $0, as: UTF8.self) } ?? ""
        return "raftcheck \(RaftCheck.version) \(json)"
    }

    /// `search.strategy: random`: the fuzzer's campaign with seed 1 (swarm unless the spec
    /// turns it off) stands in for the exhaustive search, with this command's options (its exit
    /// code and outputs are fuzz's).
    private func simulate(_ swarm: Bool, timeLimit: Double?) throws -> Verdict {
        var fuzz = try Fuzz.parse([spec, "--seed", "1"] + (swarm ? ["--swarm"] : []))
        fuzz.common = common
        fuzz.common.timeLimit = timeLimit
        return try fuzz.execute()
    }

    struct Outcome {
        var exit: Exit
        var stats: Stats
    }

    /// The settings every model's search shares.
    struct Run {
        var specName: String
        var seed: UInt64
        var strategy: Spec.Strategy
        var symmetry: Bool
        var mutation: String?
        var hashBits: HashWidth
        var maxStates: Int?
        var maxDepth: Int?
        var timeLimit: Double?
    }

    func checkCluster(_ spec: Spec) throws -> Outcome {
        let run = Run(specName: spec.name, seed: spec.raft.seed, strategy: spec.search.strategy, symmetry: spec.symmetry,
                      mutation: spec.mutation, hashBits: spec.search.hashBits, maxStates: spec.search.maxStates,
                      maxDepth: spec.bounds.maxDepth, timeLimit: spec.search.timeLimit)
        let b = spec.bounds
        let details = "nodes \(spec.nodes), ready steps \(spec.events.readySteps.rawValue), bounds: term \(b.maxTerm), proposals \(b.maxProposals), in flight \(b.maxInFlight), crashes \(b.maxCrashes), restarts \(b.maxRestarts), drops \(b.maxDrops), duplicates \(b.maxDuplicates), depth \(b.maxDepth.map(String.init) ?? "none")"
        var keyed = spec
        (keyed.search.maxStates, keyed.search.timeLimit) = (nil, nil)
        return try explore(ClusterModel(spec: spec), run, details: details, key: Self.checkpointKey(keyed)) { (counterexample, path) throws(InputError) in
            let trace = Trace(tool: "raftcheck \(RaftCheck.version)", spec: spec, seed: nil, events: counterexample.actions,
                              violation: TraceViolation(property: counterexample.property, step: counterexample.actions.count,
                                                        message: "\(counterexample.property) violated after \(counterexample.actions.count) events"))
            try TraceFile.write(trace, to: path)
        }
    }

    func checkRaftTLA(_ spec: RaftTLASpec) throws -> Outcome {
        let run = Run(specName: spec.name, seed: 0, strategy: .bfs, symmetry: spec.symmetry, mutation: nil,
                      hashBits: spec.search.hashBits, maxStates: spec.search.maxStates, maxDepth: nil,
                      timeLimit: spec.search.timeLimit)
        let details = "model raft-tla (Ongaro's raft.tla, MCraft constraint): servers \(spec.servers), values \(spec.values), max term \(spec.maxTerm), max log \(spec.maxLog), max messages \(spec.maxMessages), max duplicates \(spec.maxDuplicates), history \(spec.history ? "kept" : "projected out")"
        var keyed = spec
        (keyed.search.maxStates, keyed.search.timeLimit) = (nil, nil)
        return try explore(RaftTLAModel(spec: spec), run, details: details, key: Self.checkpointKey(keyed)) { (counterexample, path) throws(InputError) in
            let trace = RaftTLATrace(tool: "raftcheck \(RaftCheck.version)", spec: spec, actions: counterexample.actions,
                                     violation: TraceViolation(property: counterexample.property, step: counterexample.actions.count,
                                                               message: "\(counterexample.property) violated after \(counterexample.actions.count) actions"))
            try TraceFile.write(trace, to: path)
        }
    }

    /// Runs the search, prints header, progress and summary, writes any counterexample.
    func explore<M: Model>(_ model: M, _ run: Run, details: String, key: String,
                           writeTrace: @escaping (Counterexample<M.Action>, String) throws(InputError) -> Void) throws -> Outcome {
        var options = SearchOptions()
        options.workers = workers
        options.maxStates = run.maxStates
        options.maxDepth = run.maxDepth
        options.hashWidth = run.hashBits
        options.queueMemory = queueMemory << 20
        options.spillDirectory = spillDir ?? ProcessInfo.processInfo.environment["TMPDIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/tmp"
        options.checkpointDirectory = checkpointDirectory
        options.checkpointKey = "\(key) images \(M.imageVersion)"
        // Signals are handled from the header on (a test waits for it before signalling).
        let limits = RunLimits(timeLimit: run.timeLimit, maxMemory: common.maxMemory)
        print("raftcheck check \(spec): spec '\(run.specName)', seed \(run.seed), \(run.strategy.rawValue), workers \(workers), symmetry \(run.symmetry ? "on" : "off"), hash \(run.hashBits.rawValue)-bit, mutation \(run.mutation ?? "none")")
        print("  \(details)")
        flushOutput()
        let clock = limits.clock
        var lastProgress = 0.0
        let shouldStop = limits.reached
        let log = try common.progressLog()
        // What a resumed search had done before this process: rates count this process's work.
        var (generatedBefore, distinctBefore) = (0, 0)
        let progress = { (stats: SearchStats) in
            let now = clock.seconds
            log?.write(at: now, [("generated", stats.generated), ("distinct", stats.distinct), ("depth", stats.maxDepth),
                                 ("queued", stats.queued)])
            guard now - lastProgress >= 2 else { return }
            lastProgress = now
            let memory = residentMemory()
            print("progress: \(String(format: "%.0f", now))s generated \(formatCount(stats.generated)) distinct \(formatCount(stats.distinct)) depth \(stats.maxDepth) queue \(formatCount(stats.queued))\(queuePlace(stats)) \(formatCount(Int(Double(stats.generated - generatedBefore) / max(now, 1e-9))))/s memory \(formatBytes(memory))")
            flushOutput()
        }
        let tracePath = traceOut ?? "\(fileName(forSpecNamed: run.specName)).trace.json"
        // A trap in the core is a finding too: its trace is written before the process ends.
        TrapCatcher.install()
        let trapped = { (counterexample: Counterexample<M.Action>, signal: Int32) in
            let written = (try? writeTrace(counterexample, tracePath)) != nil
            let place = written ? "trace written to \(tracePath)" : "the trace could not be written"
            print("VIOLATION: \(counterexample.property) (\(TrapCatcher.name(of: signal))) after \(counterexample.actions.count) events; \(place)")
            for (i, action) in counterexample.actions.enumerated() { print("  \(i + 1). \(action)") }
            Check.afterTrap?(counterexample.property, tracePath)
        }
        let report: SearchReport<M.Action>
        switch run.strategy {
        case .bfs:
            let search = BreadthFirstSearch(model: model, options: options)
            search.onTrap = trapped
            var lastCheckpoint = 0.0
            let due = {
                guard clock.seconds - lastCheckpoint >= checkpointMinutes * 60 else { return false }
                lastCheckpoint = clock.seconds
                return true
            }
            let checkpointed = { (stats: SearchStats) in
                print("checkpoint: \(options.checkpointDirectory ?? "") at \(stats.distinct) distinct states")
                flushOutput()
            }
            do {
                if let resume {
                    try search.resume(from: resume)
                    (generatedBefore, distinctBefore) = (search.stats.generated, search.stats.distinct)
                    print("resumed: \(resume) at \(search.stats.distinct) distinct states, depth \(search.stats.maxDepth)")
                }
                report = try search.run(shouldStop: shouldStop, progress: progress, checkpointDue: due, checkpointed: checkpointed)
            } catch {
                throw InputError(file: checkpointDirectory ?? options.spillDirectory, message: "\(error)")
            }
        case .dfs:
            let search = DepthFirstSearch(model: model, options: options)
            search.onTrap = trapped
            report = search.run(shouldStop: shouldStop, progress: progress)
        case .random: preconditionFailure("random specs are checked by a fuzz campaign (Check.simulate)")
        }
        let elapsed = clock.seconds
        // The process's peak: in `gate`, which checks specs one after another in one process,
        // it covers the checks before this one too.
        let peakMemory = peakResidentMemory()
        let s = report.stats

        var violation: Stats.Violation?
        var exit = Exit.clean
        if let counterexample = report.counterexample {
            let path = tracePath
            do {
                try writeTrace(counterexample, path)
                print("VIOLATION: \(counterexample.property) after \(counterexample.actions.count) events; trace written to \(path)")
            } catch {
                print("VIOLATION: \(counterexample.property) after \(counterexample.actions.count) events; the trace could not be written: \(error)")
            }
            exit = .violation
            for (i, action) in counterexample.actions.enumerated() { print("  \(i + 1). \(action)") }
            violation = Stats.Violation(property: counterexample.property, trace: path, length: counterexample.actions.count)
        } else {
            let how = switch report.end {
            case .complete: "complete"
            case .stateLimit: "incomplete: state limit"
            case .depthLimit: "incomplete: depth-first search pruned at the depth bound"
            case .stopped: "incomplete: \(limits.reason)"
            case .violation: "violation"
            }
            print("result: no violation (\(how))")
        }
        let rate = Double(s.generated - generatedBefore) / max(elapsed, 1e-9)
        let distinctRate = Double(s.distinct - distinctBefore) / max(elapsed, 1e-9)
        let collision = FingerprintSet.collisionProbability(distinct: s.distinct, generated: s.generated, width: run.hashBits)
        print("states: generated \(s.generated), distinct \(s.distinct), depth \(s.maxDepth), \(String(format: "%.2f", elapsed)) s, \(Int(rate)) generated/s, \(Int(distinctRate)) distinct/s")
        print("fingerprints: \(run.hashBits.rawValue)-bit, \(formatBytes(s.fingerprintBytes)) (\(String(format: "%.1f", Double(s.fingerprintBytes) / Double(max(s.distinct, 1)))) B per distinct state), collision probability \(String(format: "%.1e", collision)); peak memory \(formatBytes(peakMemory)) (\(peakMemory / max(s.distinct, 1)) B per distinct state)")
        if s.spilledBytesPeak > 0 { print("queue: spilled to disk, at most \(formatBytes(s.spilledBytesPeak)) at once") }
        log?.write(at: elapsed, final: true, [("generated", s.generated), ("distinct", s.distinct), ("depth", s.maxDepth),
                                              ("queued", s.queued)])
        printCoverage(report.coverage, all: common.coverage)
        if !report.unsatisfiedSometimes.isEmpty {
            print("note: never reached: \(report.unsatisfiedSometimes.joined(separator: ", ")) (the bounds may be too tight)")
        }
        let stats = Stats(
            mode: "check", spec: spec, seed: run.seed, complete: report.complete,
            end: report.end == .stopped ? limits.end : report.end.rawValue,
            generatedStates: s.generated, distinctStates: s.distinct, maxDepth: s.maxDepth, elapsedSeconds: elapsed,
            statesPerSecond: rate, workers: workers, mutation: Nullable(value: run.mutation), violation: Nullable(value: violation),
            distinctStatesPerSecond: distinctRate, symmetry: run.symmetry, fingerprintBits: run.hashBits.rawValue,
            fingerprintBytes: s.fingerprintBytes, bytesPerDistinctState: Double(s.fingerprintBytes) / Double(max(s.distinct, 1)),
            collisionProbability: collision, peakMemoryBytes: peakMemory,
            queueDiskBytesPeak: run.strategy == .bfs ? s.spilledBytesPeak : nil, unsatisfiedSometimes: report.unsatisfiedSometimes,
            eventCoverage: KindCoverage.list(report.coverage))
        return Outcome(exit: exit, stats: stats)
    }
}

extension Spec.Strategy: ExpressibleByArgument {}
