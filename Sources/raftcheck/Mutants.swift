import ArgumentParser
import Foundation
@_spi(Checker) import RaftCore
import RaftExplorer
import RaftSim
import RaftCheckFiles

/// `raftcheck mutants`: the bug zoo. Every mutation of RaftCore is run against the specs meant
/// to catch it (BFS first, then seeded fuzzing) within a per-mutation time limit; what is found
/// is minimized and written out. Exit 1 if any mutation survives.
struct Mutants: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run every bug-zoo mutation against the specs that should catch it; exit 1 if one survives.")

    /// Which specs (under `--specs`) should catch each mutation, tried in this order, and the
    /// real bug report (or source) each re-creates. A mutation missing here has no spec yet and
    /// is reported as surviving.
    static let catalog: [(mutation: String, report: String, specs: [String])] = [
        ("commit-previous-term", "logcabin/logcabin#44, canonical/raft#220 (Raft paper, Figure 8)", ["figure8-3"]),
        ("vote-before-persist", "hashicorp/raft#661, vesoft-inc/nebula#3415", ["crash-restart-3"]),
        ("forget-vote-on-step-down", "etcd-io/etcd#2461, ktoso/akka-raft#56, microsoft/CCF#8094", ["forget-vote-3"]),
        ("truncate-on-matching-append", "ktoso/akka-raft#66", ["replication-3"]),
        ("count-duplicate-votes", "ktoso/akka-raft#45", ["duplicates-5"]),
        ("count-stale-votes", "ktoso/akka-raft#46, andreev-io/little-raft#44", ["election-3"]),
        ("quorum-off-by-one", "ktoso/akka-raft#42", ["election-3"]),
        ("skip-log-up-to-date-check", "Raft paper §5.4.1", ["replication-3"]),
        ("skip-prev-log-check", "Raft paper §5.3", ["replication-3"]),
        ("term-not-persisted", "ongardie/raft.tla (term kept in memory only)", ["crash-restart-3"]),
        ("two-pending-conf-changes", "etcd-io/etcd#12133, tikv/raft-rs#221", ["membership-3"]),
        ("read-index-before-term-commit", "etcd-io/etcd#7331", ["reads-3"]),
        ("heartbeat-commit-unsynced", "etcd-io/raft#138 and #139, talent-plan/tinykv#191", ["append-limits-3"]),
        ("snapshot-replaces-matching-log", "etcd-io/etcd#1837, etcd-io/etcd#1763", ["snapshot-random-3"]),
        ("joint-quorum-incoming-only", "async-raft/async-raft#62", ["joint-3"]),
        ("count-prevotes-as-votes", "canonical/raft#196", ["production-5"]),
        ("pre-vote-records-vote", "apache/ratis#161 (review), canonical/raft#196", ["ci"]),
        ("transfer-vote-skips-log-check", "databendlabs/openraft#1805 and #1806", ["transfer-random-3"]),
        ("lease-survives-transfer", "tikv/raft-rs#234, tikv/tikv#1593, etcd-io/raft#99", ["lease-reads-3"]),
        ("lease-trusts-check-quorum", "etcd-io/raft#166, sofastack/sofa-jraft#25, tikv/tikv#964", ["lease-reads-3"]),
        ("election-timeout-not-randomized", "goraft/raft#13, baidu/braft#464, f-rustrated/EastGuard#120", ["liveness-election-3"]),
        ("heartbeat-keeps-election-timer", "stateIs0/lu-raft-kv#2, redpanda-data/redpanda#31547", ["liveness-election-3"]),
        ("rejection-keeps-next-index", "matrixarkai/TemporalStore#114, scylladb/scylladb#9552", ["liveness-backup-3"]),
        ("pre-vote-needs-longer-log", "hashicorp/raft#605 and #606, ClickHouse/NuRaft#134", ["liveness-production-3"]),
        ("check-quorum-ignores-heartbeats", "etcd-io/etcd#5879, cockroachdb/cockroach#7889", ["liveness-production-3"]),
        ("campaign-with-unapplied-conf-changes", "etcd-io/raft#456 and #469, tikv/raft-rs#225", ["grow-5"]),
        ("lease-one-tick-too-long", "tikv/tikv#9728", ["lease-votes-3"]),
        ("read-acked-by-earlier-round", "etcd-io/raft#397, antflydb/antfly#599", ["reads-random-3"]),
        ("vote-ignores-lease", "etcd-io/etcd#5451, sofastack/sofa-jraft#25", ["lease-votes-3"]),
        ("removed-leader-reads-alone", "canonical/raft#231", ["membership-reads-3"]),
        ("reads-survive-step-down", "tikv/tikv#6609 and #7101, matrixorigin/matrixcube#633", ["reads-3"]),
        ("check-quorum-never-resets", "kurrent-io/KurrentDB#3181, etcd-io/etcd#13527", ["liveness-partition-3"]),
        ("stable-to-ignores-term", "etcd-io/etcd#1690, rabbitmq/ra#637", ["pipelined-random-3"]),
        ("correlated-timeout-streams", "canonical/raft#197, goraft/raft#44", ["liveness-snapshot-3"]),
        ("auto-leave-only-on-apply", "etcd-io/etcd#12136, etcd-io/etcd#14538", ["liveness-membership-4"]),
        ("transfer-never-abandoned", "databendlabs/openraft#1747, etcd-io/etcd#4916", ["liveness-membership-4"]),
        ("held-reads-never-answered", "etcd-io/etcd#12680, restatedev/restate#2950", ["liveness-production-3"]),
        ("snapshot-failure-ignored", "etcd-io/etcd#10225, dgraph-io/dgraph#2707, etcd-io/etcd#12695", ["liveness-snapshot-3"]),
        ("snapshot-below-commit-restored", "etcd-io/etcd#1715, eBay/NuRaft#407", ["snapshot-random-3", "liveness-snapshot-3"]),
        ("snapshot-keeps-old-config", "apache/ratis#253, databendlabs/openraft#1808", ["snapshot-membership-3"]),
    ]

    @Option(help: "Seconds per mutation: BFS gets the first half, fuzzing the rest.")
    var timeLimit = 10.0

    @Option(help: "Threads per search.")
    var workers = 2

    @Option(help: "The fuzzing seed.")
    var seed: UInt64 = 1

    @Option(help: "The directory holding the catalog's specs.")
    var specs = "specs"

    @Option(help: "Where minimized traces are written, one per caught mutation.")
    var out = ".build/mutants"

    @Option(help: "Write the table as JSON to this file.")
    var statsJson: String?

    @Flag(help: "Print the catalog (mutation, the specs meant to catch it, the report it re-creates), one per line, tab-separated, and exit.")
    var list = false

    @Option(name: .customLong("mutation"), help: "Run only this mutation (repeatable; default: all of them).")
    var only: [String] = []

    /// Set by the parent for the child process that hunts one mutation: the child writes its
    /// row (JSON) there.
    @Option(help: .hidden) var rowOut: String?

    struct Row: Codable {
        var mutation: String
        var report: String?
        var caught: Bool
        var by: String?
        var spec: String?
        var property: String?
        var seconds: Double
        /// Distinct states the searches saw (nil when one trapped: its process ended uncounted).
        var states: Int?
        var shortest: Int?
        var minimized: Int?
        var trace: String?
    }

    func validate() throws {
        guard timeLimit > 0 else { throw ValidationError("--time-limit must be positive") }
        for name in only where Mutation(name: name) == nil {
            throw ValidationError("--mutation: unknown mutation '\(name)' (known: \(Mutation.named.map(\.name).joined(separator: ", ")))")
        }
        try validateWorkers(workers)
    }

    func run() throws {
        if list {
            for (mutation, report, specs) in Self.catalog { print("\(mutation)\t\(specs.joined(separator: ","))\t\(report)") }
            return
        }
        // Every spec is read before anything runs: a bad spec fails at once, with exit 2.
        let hunts = try Mutation.named.map(\.name).filter { only.isEmpty || only.contains($0) }.map { mutation in
            (mutation, try (Self.catalog.first { $0.mutation == mutation }?.specs ?? []).map { name in
                try loadSpec("\(specs)/\(name).yaml", mutation: mutation)
            })
        }
        do {
            try FileManager.default.createDirectory(atPath: out, withIntermediateDirectories: true)
        } catch {
            throw InputError(file: out, message: "cannot create the directory: \(error.localizedDescription)")
        }
        if rowOut != nil, let (mutation, candidates) = hunts.first {
            try huntAlone(mutation, in: candidates)
            return
        }
        print("raftcheck mutants: \(hunts.count) mutations, \(timeLimit) s each (BFS, then fuzz with seed \(seed)), workers \(workers)")
        installInterruptHandler()
        print(["mutation".padding(toLength: 30, withPad: " ", startingAt: 0), "caught", "by    ",
               "spec".padding(toLength: 16, withPad: " ", startingAt: 0), " seconds", "    states", " shortest", " minimized", "property"].joined(separator: " "))
        var rows: [Row] = []
        for (mutation, _) in hunts {
            let row = try huntInChild(mutation)
            rows.append(row)
            print(format(row))
            fflush(nil)
            if interruptRequested != 0 { break }
        }
        let caught = rows.count { $0.caught }
        print("\(caught)/\(hunts.count) mutations caught")
        if let statsJson {
            struct Summary: Encodable {
                var schemaVersion = statsSchemaVersion
                var mode = "mutants"
                var timeLimitPerMutation: Double
                var caught: Int
                var total: Int
                var mutations: [Row]
            }
            try writeSummary(Summary(timeLimitPerMutation: timeLimit, caught: caught, total: hunts.count, mutations: rows), to: statsJson)
        }
        if caught < hunts.count { throw ExitCode(Exit.violation.rawValue) }
    }

    private func loadSpec(_ path: String, mutation: String) throws -> Spec {
        guard case .cluster(var spec) = try SpecLoader.load(path: path) else {
            throw InputError(file: path, field: "model", message: "mutants run cluster specs only")
        }
        spec.mutation = mutation
        return spec
    }

    /// Hunts `mutation` in a child process (this program, `--row-out`): a mutation that makes the
    /// core trap ends the process that meets the trap, and only that one. The child writes its
    /// row; after a trap it has written the trace instead, which is minimized here, each
    /// candidate replayed in a process of its own.
    private func huntInChild(_ mutation: String) throws -> Row {
        let clock = Stopwatch()
        let (rowPath, trapPath) = ("\(out)/\(mutation).row.json", Self.trapPath(mutation, out))
        for path in [rowPath, trapPath] { try? FileManager.default.removeItem(atPath: path) }
        let child = Process()
        child.executableURL = URL(fileURLWithPath: "/proc/self/exe")
        child.arguments = ["mutants", "--mutation", mutation, "--row-out", rowPath, "--time-limit", "\(timeLimit)", "--workers", "\(workers)",
                           "--seed", "\(seed)", "--specs", specs, "--out", out]
        do { try child.run() } catch { throw InputError(file: "/proc/self/exe", message: "cannot start a mutation's hunt: \(error)") }
        // A signal that stops this process stops the hunt too (it ends as at its time limit).
        while child.isRunning && interruptRequested == 0 { usleep(20_000) }
        if child.isRunning { child.interrupt() }
        child.waitUntilExit()
        if let data = FileManager.default.contents(atPath: rowPath) {
            try? FileManager.default.removeItem(atPath: rowPath)
            do { return try JSONDecoder().decode(Row.self, from: data) } catch {
                throw InputError(file: rowPath, message: "unreadable row of a mutation's hunt: \(error)")
            }
        }
        guard FileManager.default.fileExists(atPath: trapPath) else {
            // Killed from outside before it wrote anything.
            return Row(mutation: mutation, report: Self.report(of: mutation), caught: false, seconds: clock.seconds)
        }
        let (trace, events) = try TraceFile.read(trapPath)
        try? FileManager.default.removeItem(atPath: trapPath)
        let by = trace.seed == nil ? "check" : "fuzz"
        return finish(mutation, trace.spec, by: by, property: noTrapProperty, events: events,
                      shortest: by == "check" ? events.count : nil, seconds: clock.seconds, states: nil)
    }

    static func trapPath(_ mutation: String, _ out: String) -> String { "\(out)/\(mutation).trap.json" }

    /// The child's part: hunts `mutation`, then writes its row to `--row-out`. A trap writes the
    /// path to it (unminimized) to `trapPath` before the process ends.
    private func huntAlone(_ mutation: String, in specs: [Spec]) throws {
        installInterruptHandler()
        TrapCatcher.install()
        let row = hunt(mutation, in: specs)
        guard let rowOut else { return }
        do { try JSONEncoder().encode(row).write(to: URL(fileURLWithPath: rowOut)) } catch {
            throw InputError(file: rowOut, message: "cannot write the row: \(error.localizedDescription)")
        }
    }

    /// Writes the path to a trap, as the search found it (the process ends after this).
    private func writeTrap(_ mutation: String, _ spec: Spec, _ events: [Event], fuzzed: Bool) {
        let trace = Trace(tool: "raftcheck \(RaftCheck.version)", spec: spec, seed: fuzzed ? seed : nil, events: events,
                          violation: TraceViolation(property: noTrapProperty, step: events.count,
                                                    message: "\(noTrapProperty) violated after \(events.count) events"))
        try? TraceFile.write(trace, to: Self.trapPath(mutation, out))
    }

    /// BFS on each exhaustive spec until half the budget is spent (shallow bugs, shortest
    /// traces), then fuzzing until all of it is (deep ones: a random walk reaches depths BFS
    /// cannot); specs checked at random (`search.strategy: random`) are only fuzzed.
    private func hunt(_ mutation: String, in specs: [Spec]) -> Row {
        let clock = Stopwatch()
        var states = 0
        let stop = { (deadline: Double) in { interruptRequested != 0 || clock.seconds >= deadline } }
        for spec in specs where spec.search.strategy != .random {
            var options = SearchOptions()
            options.workers = workers
            options.maxDepth = spec.bounds.maxDepth
            options.hashWidth = spec.search.hashBits
            // A search that cannot spill its queue (no room on disk) leaves the mutation to fuzzing.
            let search = BreadthFirstSearch(model: ClusterModel(spec: spec), options: options)
            search.onTrap = { found, _ in writeTrap(mutation, spec, found.actions, fuzzed: false) }
            guard let report = try? search.run(shouldStop: stop(timeLimit / 2), progress: { _ in }) else { continue }
            states += report.stats.distinct
            if let found = report.counterexample {
                return finish(mutation, spec, by: "check", property: found.property, events: found.actions,
                              shortest: found.actions.count, seconds: clock.seconds, states: states)
            }
        }
        for spec in specs {
            // A random spec is fuzzed as `check` does it: a swarm campaign over its cluster sizes
            // (unless the spec turns swarm off).
            var options = FuzzOptions(spec: spec, seed: seed, workers: workers)
            options.swarm = spec.search.strategy == .random && spec.fuzz.swarm
            let (search, variants) = RandomSearch.of(spec, options: options)
            search.onTrap = { found, _ in writeTrap(mutation, variants[found.variant], found.actions, fuzzed: true) }
            let report = search.run(shouldStop: stop(timeLimit))
            states += report.stats.distinct
            if let found = report.violation {
                return finish(mutation, variants[found.variant], by: "fuzz", property: found.property, events: found.actions,
                              shortest: nil, seconds: clock.seconds, states: states)
            }
        }
        return Row(mutation: mutation, report: Self.report(of: mutation), caught: false, seconds: clock.seconds, states: states)
    }

    /// Minimizes the counterexample and writes it as `<out>/<mutation>.trace.json`.
    private func finish(_ mutation: String, _ spec: Spec, by: String, property: String, events: [Event],
                        shortest: Int?, seconds: Double, states: Int?) -> Row {
        var minimizer = Minimizer(model: ClusterModel(spec: spec), property: property)
        minimizer.workers = workers
        if property == noTrapProperty { minimizer.isolated = { model, events in IsolatedReplay.untilTrap(events, on: model) } }
        let minimized = minimizer.minimize(events) ?? events
        let path = "\(out)/\(mutation).trace.json"
        let trace = Trace(tool: "raftcheck \(RaftCheck.version)", spec: minimizer.model.spec, seed: by == "fuzz" ? seed : nil, events: minimized,
                          violation: TraceViolation(property: property, step: minimized.count,
                                                    message: "\(property) violated after \(minimized.count) events (found by \(by), minimized from \(events.count))"))
        let written = (try? TraceFile.write(trace, to: path)) != nil
        return Row(mutation: mutation, report: Self.report(of: mutation), caught: true, by: by, spec: spec.name, property: property, seconds: seconds,
                   states: states, shortest: shortest, minimized: minimized.count, trace: written ? path : nil)
    }

    static func report(of mutation: String) -> String? { catalog.first { $0.mutation == mutation }?.report }

    private func format(_ row: Row) -> String {
        let columns: [String] = [
            row.mutation.padding(toLength: 30, withPad: " ", startingAt: 0),
            (row.caught ? "yes" : "NO").padding(toLength: 6, withPad: " ", startingAt: 0),
            (row.by ?? "-").padding(toLength: 6, withPad: " ", startingAt: 0),
            (row.spec ?? "-").padding(toLength: 16, withPad: " ", startingAt: 0),
            String(format: "%6.2f s", row.seconds),
            (row.states.map(String.init) ?? "-").leftPadded(10),
            (row.shortest.map(String.init) ?? "-").leftPadded(9),
            (row.minimized.map(String.init) ?? "-").leftPadded(10),
            row.property ?? "",
        ]
        return columns.joined(separator: " ")
    }
}

private extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: " ", count: max(0, width - count)) + self }
}
