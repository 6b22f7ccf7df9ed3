import ArgumentParser
import Foundation
import RaftExplorer
import RaftSim
import RaftCheckFiles

/// `raftcheck fuzz SPEC`: seeded random (and swarm) exploration of deep state spaces.
struct Fuzz: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Explore a spec with seeded random walks; one seed reproduces everything.")

    @OptionGroup var common: RunOptions

    @Option(help: "The campaign's seed (default: from the clock, printed first).")
    var seed: UInt64?

    @Option(help: "Runs to do (default: until the time limit or an interrupt).")
    var runs: Int?

    @Option(help: "The longest walk, in events (overrides the spec's fuzz.depth).")
    var depth: Int?

    @Flag(help: "Swarm testing: each run picks its enabled event kinds, their weights and (with the spec's fuzz.min_nodes) its cluster size from its seed.")
    var swarm = false

    @Flag(inversion: .prefixedNo, help: "Prefer never-seen states (default: the spec's fuzz.novelty, on unless it says off); --no-novelty walks uniformly by weight.")
    var novelty: Bool?

    @Flag(help: "PCT-style scheduling: random node priorities with a few change points per run.")
    var pct = false

    @Flag(help: "Start three walks in four at a state an earlier walk saw first (replaying that walk to it), not at the initial state.")
    var frontier = false

    @Option(help: "States each worker keeps for walks that come back to them, rounded down to a power of two (0: none; at most 16,777,216; default 1,048,576, about 0.25-0.75 GB per worker on replication-3). Speed only: results do not depend on it.")
    var keptStates: Int?

    @Option(help: "A campaign directory: violations and runs that reached new states are kept there (atomically); rerunning with it resumes the seed sequence.")
    var corpus: String?

    @Option(help: "Do shard K of N of the campaign's runs (K/N, 0 <= K < N <= 65536): N jobs with one seed share its runs, each on its own; 'raftcheck corpus merge' joins their corpora.")
    var shard: String?

    var spec: String { common.spec }
    var workers: Int { common.workers }
    var timeLimit: Double? { common.timeLimit }

    func validate() throws {
        if let runs, !(1...Campaign.maxRuns).contains(runs) { throw ValidationError("--runs must be between 1 and \(Campaign.maxRuns)") }
        if let depth, !(1...Spec.maxFuzzDepth).contains(depth) { throw ValidationError("--depth must be between 1 and \(Spec.maxFuzzDepth)") }
        if let keptStates, !(0...1 << 24).contains(keptStates) {
            throw ValidationError("--kept-states must be between 0 and 16,777,216")
        }
        if let shard, Self.parse(shard: shard) == nil {
            throw ValidationError("--shard must be K/N with 0 <= K < N <= \(Shard.maxCount), not '\(InputError.printable(shard))'")
        }
    }

    func run() throws { throw ExitCode(try execute().exit.rawValue) }

    /// `K/N` as a shard, if it is one.
    static func parse(shard text: String) -> Shard? {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0.allSatisfy(\.isASCII) && $0.allSatisfy(\.isNumber) }),
              let k = Int(parts[0]), let n = Int(parts[1]), (1...Shard.maxCount).contains(n), (0..<n).contains(k) else { return nil }
        return Shard(index: k, count: n)
    }

    /// Runs the campaign (printing as it goes, writing traces, corpus and stats) and says how
    /// it ended.
    func execute() throws -> Verdict {
        guard case .cluster(var spec) = try SpecLoader.load(path: self.spec) else {
            throw InputError(file: self.spec, field: "model", message: "fuzz explores cluster specs only")
        }
        common.applyMutation(to: &spec)
        if let depth { spec.fuzz.depth = depth }
        if let problem = spec.problems().first {
            throw InputError(file: self.spec, field: problem.field, message: problem.message)
        }
        let shard = self.shard.flatMap(Self.parse(shard:)) ?? Shard(index: 0, count: 1)
        let shardName = shard.count > 1 ? "\(shard.index)/\(shard.count)" : nil
        var campaign = Campaign(seed: seed ?? UInt64(Date().timeIntervalSince1970 * 1000), nextRun: 0, shard: shardName)
        if let corpus {
            try Campaign.lock(corpus)
            if let saved = try Campaign.load(corpus) {
                campaign = saved
                if let seed, seed != saved.seed {
                    throw InputError(file: corpus, field: "--seed", message: "the campaign there has seed \(saved.seed), not \(seed)")
                }
                if saved.shard != shardName {
                    throw InputError(file: corpus, field: "--shard", message: "the campaign there is \(saved.shard.map { "shard \($0)" } ?? "not sharded"), not \(shardName.map { "shard \($0)" } ?? "unsharded")")
                }
            }
        }
        var options = FuzzOptions(spec: spec, seed: campaign.seed, workers: workers)
        options.runs = runs
        options.swarm = swarm
        options.novelty = novelty ?? spec.fuzz.novelty
        options.pct = pct
        options.frontier = frontier
        if let keptStates { options.rememberedStatesLog2 = keptStates == 0 ? 0 : Int.bitWidth - 1 - keptStates.leadingZeroBitCount }
        options.firstRun = campaign.nextRun
        options.shard = shard
        options.reportsNovelRuns = corpus != nil
        let (search, specs) = RandomSearch.of(spec, options: options)
        let sizes = specs.count > 1 ? " (nodes \(specs.last!.nodes)-\(spec.nodes))" : ""

        print("raftcheck fuzz \(self.spec): spec '\(spec.name)', seed \(campaign.seed), runs \(runs.map(String.init) ?? "unbounded"), depth \(options.depth), workers \(workers), swarm \(swarm ? "on\(sizes)" : "off"), novelty \(options.novelty ? "on" : "off"), pct \(pct ? "on" : "off"), frontier \(frontier ? "on" : "off"), mutation \(spec.mutation ?? "none")\(shardName.map { ", shard \($0)" } ?? "")")
        flushOutput()
        if let corpus, campaign.nextRun > 0 {
            let traces = Campaign.novelTraces(corpus)
            for path in traces {
                let (trace, events) = try TraceFile.read(path)
                search.remember(events, variant: specs.firstIndex(of: trace.spec) ?? 0)
            }
            print("resuming campaign \(corpus): seed \(campaign.seed), continuing at run \(campaign.nextRun), \(traces.count) corpus traces loaded (\(search.seen.count) states)")
        }

        let path = common.traceOut ?? "\(fileName(forSpecNamed: spec.name)).fuzz-trace.json"
        /// Writes the trace of a violation found (to `path`, and to the corpus), then reports it.
        func write(_ found: FuzzViolation<Event>, _ exit: inout Exit, cause: String = "") {
            let trace = Trace(tool: "raftcheck \(RaftCheck.version)", spec: specs[found.variant], seed: campaign.seed, run: found.run, events: found.actions,
                              violation: TraceViolation(property: found.property, step: found.actions.count,
                                                        message: "\(found.property) violated after \(found.actions.count) events (run \(found.run))"))
            // Written before anything is reported: a killed campaign loses no violation it printed.
            let written = writeReporting(&exit) { () throws(InputError) in try TraceFile.write(trace, to: path) }
            if let corpus { writeReporting(&exit) { () throws(InputError) in try TraceFile.write(trace, to: "\(corpus)/violations/run-\(found.run)-\(found.property).json") } }
            let size = specs.count > 1 ? " on \(specs[found.variant].nodes) nodes" : ""
            print("VIOLATION: \(found.property)\(cause) in run \(found.run)\(size) (run seed \(found.runSeed)) after \(found.actions.count) events; \(written ? "trace written to \(path)" : "the trace could not be written")")
        }
        // A trap in the core is a finding too: its trace is written before the process ends.
        TrapCatcher.install()
        search.onTrap = { found, signal in
            var exit = Exit.violation
            write(found, &exit, cause: " (\(TrapCatcher.name(of: signal)))")
            Check.afterTrap?(found.property, path)
        }

        let limits = RunLimits(timeLimit: timeLimit, maxMemory: common.maxMemory)
        let clock = limits.clock
        var lastProgress = 0.0
        var saveError: InputError?
        let log = try common.progressLog()
        let report = search.run(shouldStop: limits.reached, onRound: { round in
            if let corpus {
                do {
                    for (run, variant, actions) in round.novelRuns {
                        let trace = Trace(tool: "raftcheck \(RaftCheck.version)", spec: specs[variant], seed: campaign.seed, run: run, events: actions, violation: nil)
                        try TraceFile.write(trace, to: "\(corpus)/novel/run-\(run).json")
                    }
                    try Campaign(seed: campaign.seed, nextRun: round.nextRun, shard: shardName).save(corpus)
                } catch {
                    saveError = saveError ?? (error as? InputError)
                }
            }
            let now = clock.seconds
            log?.write(at: now, [("runs", round.stats.runs), ("events", round.stats.events),
                                 ("distinct", round.stats.distinct), ("depth", round.stats.maxDepth)])
            if now - lastProgress >= 2 {
                lastProgress = now
                let s = round.stats
                print("progress: \(String(format: "%.0f", now))s runs \(s.runs) events \(formatCount(s.events)) \(formatCount(Int(Double(s.events) / max(now, 1e-9))))/s distinct \(formatCount(s.distinct)) depth \(s.maxDepth)")
                flushOutput()
            }
        })
        if let saveError { throw saveError }
        let elapsed = clock.seconds
        let s = report.stats

        var exit = Exit.clean
        var violation: Stats.Violation?
        if let found = report.violation {
            exit = .violation
            write(found, &exit)
            violation = Stats.Violation(property: found.property, trace: path, length: found.actions.count)
        } else {
            print("result: no violation (\(report.stopped ? limits.reason : "\(s.runs) runs done"))")
        }
        let end = report.violation != nil ? "violation" : report.stopped ? limits.end : "runs_done"
        let rate = Double(s.events) / max(elapsed, 1e-9)
        log?.write(at: elapsed, final: true, [("runs", s.runs), ("events", s.events), ("distinct", s.distinct),
                                              ("depth", s.maxDepth)])
        printCoverage(s.coverage, all: common.coverage)
        print("runs: \(s.runs), events \(s.events), \(String(format: "%.2f", elapsed)) s, \(Int(rate)) events/s, distinct states seen \(s.distinct), longest walk \(s.maxDepth)")
        if let statsJson = common.statsJson { writeReporting(&exit) { () throws(InputError) in
            try Stats(mode: "fuzz", spec: self.spec, seed: campaign.seed, complete: end == "runs_done", end: end,
                      generatedStates: s.events, distinctStates: s.distinct, maxDepth: s.maxDepth, elapsedSeconds: elapsed,
                      statesPerSecond: rate, workers: workers, mutation: Nullable(value: spec.mutation), violation: Nullable(value: violation),
                      runs: s.runs, events: s.events, eventsPerSecond: rate, distinctStatesSeen: s.distinct,
                      firstRun: campaign.nextRun, nextRun: report.nextRun, swarm: swarm,
                      eventCoverage: KindCoverage.list(s.coverage)).write(to: statsJson)
        } }
        // The process ends here, and what the search holds goes with it, not freed state by
        // state (a worker's kept states took a third of a second to free).
        _ = Unmanaged.passRetained(search)
        return Verdict(exit: exit, end: end, violation: violation)
    }
}

extension RandomSearch where M == ClusterModel {
    /// A random search of `spec`; a swarm search (`options.swarm`) also walks the spec's smaller
    /// clusters. Variant i of the search walks `specs[i]`: traces carry the spec their run walked.
    static func of(_ spec: Spec, options: FuzzOptions) -> (search: RandomSearch, specs: [Spec]) {
        let specs = options.swarm ? spec.swarmVariants : [spec]
        let search = RandomSearch(model: ClusterModel(spec: spec), options: options,
                                  swarmVariants: specs.dropFirst().map(ClusterModel.init(spec:)))
        return (search, specs)
    }
}

/// Where a fuzz campaign stands, kept in `<corpus>/campaign.json`.
struct Campaign: Codable {
    var seed: UInt64
    /// The next run, counted within the shard.
    var nextRun: Int
    /// `K/N` for shard K of N (`--shard`); absent for a whole campaign.
    var shard: String?

    /// The most runs a campaign counts, resumed or not (2^53: exact in JSON, and far from
    /// overflowing when runs are added to it).
    static let maxRuns = 1 << 53

    static func load(_ directory: String) throws(InputError) -> Campaign? {
        let path = "\(directory)/campaign.json"
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        do {
            let campaign = try JSONDecoder().decode(Campaign.self, from: data)
            guard (0...maxRuns).contains(campaign.nextRun) else {
                throw InputError(file: path, field: "nextRun", message: "must be between 0 and \(maxRuns)")
            }
            return campaign
        } catch let error as InputError {
            throw error
        } catch {
            throw InputError(file: path, message: "not a campaign file: \(error)")
        }
    }

    func save(_ directory: String) throws(InputError) {
        let path = "\(directory)/campaign.json"
        let data: Data
        do { data = try JSONEncoder().encode(self) } catch {
            throw InputError(file: path, message: "cannot encode: \(error.localizedDescription)")
        }
        try writeOutput(data, to: path, what: "campaign state")
    }

    /// Takes the campaign directory for this process (until it exits): a second campaign there
    /// would mix its runs into this one's. Temporary files left by an earlier campaign that was
    /// killed are removed.
    static func lock(_ directory: String) throws(InputError) {
        let path = "\(directory)/.lock"
        do { try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true) } catch {
            throw InputError(file: directory, message: "cannot create the campaign directory: \(error.localizedDescription)")
        }
        let fd = open(path, O_RDWR | O_CREAT, 0o644)
        guard fd >= 0 else { throw InputError(file: path, message: "cannot open the lock: \(String(cString: strerror(errno)))") }
        guard flock(fd, LOCK_EX | LOCK_NB) == 0 else {
            let holder = (try? String(contentsOfFile: path, encoding: .utf8))?.trimmingCharacters(in: .whitespacesAndNewlines) ?? "?"
            close(fd)
            throw InputError(file: directory, message: "another campaign (process \(InputError.printable(holder))) is running in this directory")
        }
        // Held until the process exits: the descriptor stays open.
        _ = ftruncate(fd, 0)
        let pid = "\(getpid())\n"
        _ = pid.withCString { write(fd, $0, strlen($0)) }
        for folder in [directory, "\(directory)/novel", "\(directory)/violations"] {
            for name in (try? FileManager.default.contentsOfDirectory(atPath: folder)) ?? [] where name.hasPrefix(".") && name.hasSuffix(".tmp") {
                try? FileManager.default.removeItem(atPath: "\(folder)/\(name)")
            }
        }
    }

    /// The corpus's traces of runs that reached new states, in run order (`run-N.json`), as the
    /// campaign found them: a frontier is rebuilt from them in that order.
    static func novelTraces(_ directory: String) -> [String] {
        let novel = "\(directory)/novel"
        let files = (try? FileManager.default.contentsOfDirectory(atPath: novel)) ?? []
        let run = { (name: String) in Int(name.dropFirst("run-".count).dropLast(".json".count)) ?? Int.max }
        return files.filter { $0.hasSuffix(".json") }.sorted { (run($0), $0) < (run($1), $1) }.map { "\(novel)/\($0)" }
    }
}
