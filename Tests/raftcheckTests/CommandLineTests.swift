import Foundation
import Testing

/// The `raftcheck` executable as users run it: exit codes, output files, determinism across
/// processes, and clear errors on bad input.
@Suite struct CommandLineTests {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built tool, beside this test bundle.
    static let tool: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("raftcheck")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/release/raftcheck")
    }()

    struct Run {
        var status: Int32
        var output: String
        var error: String
    }

    /// Runs `executable` in the package root, with `environment` added to this process's.
    static func run(_ arguments: [String], executable: URL = tool, environment: [String: String] = [:]) throws -> Run {
        let process = Process()
        process.executableURL = executable
        process.arguments = arguments
        if !environment.isEmpty { process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 } }
        process.currentDirectoryURL = packageRoot
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let output = out.fileHandleForReading.readDataToEndOfFile()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Run(status: process.terminationStatus, output: String(decoding: output, as: UTF8.self), error: String(decoding: error, as: UTF8.self))
    }

    /// The five-node example: node 1 bootstraps alone, adds nodes 2–5 by configuration
    /// changes, all five apply the same 100 puts, and a ReadIndex read on the leader sees them.
    @Test func fiveNodesExample() throws {
        let example = Self.tool.deletingLastPathComponent().appendingPathComponent("five-nodes")
        let run = try Self.run([], executable: example)
        #expect(run.status == 0)
        #expect(run.output.split(separator: "\n").last == "all 5 nodes applied 100 proposals")
        #expect(run.output.contains("a linearizable read on the leader saw 100 keys"), "\(run.output)")
    }

    static func temporaryDirectory() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("raftcheck-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func writeSpec(_ text: String, in directory: URL, name: String = "spec.yaml") throws -> String {
        let url = directory.appendingPathComponent(name)
        try text.write(to: url, atomically: true, encoding: .utf8)
        return url.path
    }

    static let smallSpec = """
        name: small
        nodes: 3
        events:
          heartbeat: false
        bounds:
          max_term: 2
          max_proposals: 1
          max_in_flight: 3
        """

    static func json(_ path: String) throws -> [String: Any] {
        let data = try Data(contentsOf: URL(fileURLWithPath: path))
        return try JSONSerialization.jsonObject(with: data) as! [String: Any]
    }

    @Test func cleanSpecExitsZeroWithStats() throws {
        let dir = try Self.temporaryDirectory()
        let spec = try Self.writeSpec(Self.smallSpec, in: dir)
        let stats = dir.appendingPathComponent("stats.json").path
        let run = try Self.run(["check", spec, "--stats-json", stats])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        #expect(run.output.hasPrefix("raftcheck check \(spec): spec 'small', seed 0"))
        #expect(run.output.contains("result: no violation (complete)"))
        let object = try Self.json(stats)
        for key in ["mode", "spec", "seed", "complete", "generated_states", "distinct_states", "max_depth",
                    "elapsed_seconds", "states_per_second", "violation"] {
            #expect(object[key] != nil, "missing \(key)")
        }
        #expect(object["complete"] as? Bool == true && object["end"] as? String == "complete")
        #expect(object["schema_version"] as? Int == 1 && object["mode"] as? String == "check")
        #expect(object["violation"] is NSNull)
        #expect((object["distinct_states"] as? Int ?? 0) > 100)
    }

    /// Two processes, same spec and mutation: same counts, same violation, byte-identical traces.
    @Test func sameSpecSameResultInTwoProcesses() throws {
        let dir = try Self.temporaryDirectory()
        let spec = try Self.writeSpec(Self.smallSpec, in: dir)
        var results: [(stats: [String: Any], trace: Data)] = []
        for i in 0..<2 {
            let stats = dir.appendingPathComponent("stats\(i).json").path
            let trace = dir.appendingPathComponent("trace\(i).json").path
            let run = try Self.run(["check", spec, "--mutation", "skip-log-up-to-date-check", "--workers", "\(i + 1)",
                                    "--trace-out", trace, "--stats-json", stats])
            #expect(run.status == 1, "\(run.output)\(run.error)")
            #expect(run.output.contains("VIOLATION: leader_completeness"))
            results.append((try Self.json(stats), try Data(contentsOf: URL(fileURLWithPath: trace))))
        }
        for key in ["generated_states", "distinct_states", "max_depth"] {
            #expect(results[0].stats[key] as? Int == results[1].stats[key] as? Int, "\(key)")
        }
        let violation = results[0].stats["violation"] as? [String: Any]
        #expect(violation?["property"] as? String == "leader_completeness")
        #expect(results[0].trace == results[1].trace)
    }

    @Test func replayReportsViolationCleanAndDivergence() throws {
        let dir = try Self.temporaryDirectory()
        let spec = try Self.writeSpec(Self.smallSpec, in: dir)
        let trace = dir.appendingPathComponent("trace.json").path
        _ = try Self.run(["check", spec, "--mutation", "skip-log-up-to-date-check", "--trace-out", trace])
        let replay = try Self.run(["replay", trace])
        #expect(replay.status == 1)
        #expect(replay.output.contains("VIOLATION: leader_completeness"))
        let fixed = try Self.run(["replay", trace, "--mutation", "none"])
        #expect(fixed.status == 4 || fixed.status == 0, "\(fixed.output)")
        #expect(fixed.status != 4 || fixed.output.contains("DIVERGED at event"))
    }

    /// Bad specs: exit 2, naming the file, the line and the key.
    @Test(arguments: [
        ("nodes: 3\nbogus: 1\n", ":2:", "bogus: unknown key"),
        ("nodes: 3\nraft:\n  election_ticks: soon\n", ":3:", "raft.election_ticks: expected an integer, got 'soon'"),
        ("nodes: 3\nbounds:\n  max_trem: 2\n", ":3:", "bounds.max_trem: unknown key"),
        ("nodes: 9\n", ":1:", "nodes: must be between 1 and 7"),
        ("mutation: off-by-none\n", ":1:", "mutation: unknown mutation 'off-by-none'"),
        ("events:\n  ready_steps: sometimes\n", ":2:", "events.ready_steps: expected one of atomic, split"),
        ("nodes: [3\n", ":", "YAML"),
        ("properties: [election_safety, liveness]\n", ":1:", "unknown property 'liveness'"),
        ("nodes: 3\nevents:\n  reconfigure: true\n", ":3:", "events.reconfigure: needs symmetry: false"),
        ("nodes: 3\nvoters: 4\n", ":2:", "voters: must be between 1 and nodes (3)"),
        ("fuzz:\n  novelty: maybe\n", ":2:", "fuzz.novelty: expected true or false, got 'maybe'"),
        // The whole core's events and settings.
        ("nodes: 3\nevents:\n  compact: often\n", ":3:", "events.compact: expected true or false, got 'often'"),
        ("nodes: 3\nevents:\n  async_apply: 2\n", ":3:", "events.async_apply: expected true or false, got '2'"),
        ("nodes: 3\nevents:\n  joint: true\n", ":3:", "events.joint: needs symmetry: false"),
        ("nodes: 3\nraft:\n  read_only: fast\n", ":3:", "raft.read_only: expected one of safe, lease, got 'fast'"),
        ("nodes: 3\nraft:\n  read_only: lease\n", ":3:", "raft.read_only: lease reads need check_quorum: true"),
        ("nodes: 3\nbounds:\n  max_compactions: -1\n", ":3:", "bounds.max_compactions: must be between 0 and 255"),
        ("nodes: 3\nbounds:\n  max_transfer: 1\n", ":3:", "bounds.max_transfer: unknown key"),
        ("nodes: 3\nsearch:\n  strategy: guess\n", ":3:", "search.strategy: expected one of bfs, dfs, random, got 'guess'"),
        ("nodes: 3\nraft:\n  check_quorum: true\n  read_only: lease\n", ":4:", "raft.read_only: lease reads need raft.clock_drift"),
        ("nodes: 3\nraft:\n  clock_drift: 2\n", ":3:", "raft.clock_drift: must be between 1 and 15, and less than half of election_ticks"),
        ("nodes: 3\nraft:\n  clock_drift: 1\n", ":3:", "raft.clock_drift: needs events.tick: true"),
        ("nodes: 3\nraft:\n  clock_drift: slow\n", ":3:", "raft.clock_drift: expected an integer, got 'slow'"),
        ("nodes: 3\nfuzz:\n  swarm: 1\n", ":3:", "fuzz.swarm: expected true or false, got '1'"),
    ])
    func badSpecExitsTwoNamingTheKey(text: String, location: String, message: String) throws {
        let dir = try Self.temporaryDirectory()
        let spec = try Self.writeSpec(text, in: dir)
        let run = try Self.run(["check", spec])
        #expect(run.status == 2)
        #expect(run.error.contains(spec + location), "\(run.error)")
        #expect(run.error.contains(message), "\(run.error)")
    }

    /// `search.strategy: random`: check runs the fuzzer's swarm campaign with seed 1 instead of
    /// an exhaustive search, within the time limit; what it finds replays.
    @Test func randomSpecsAreCheckedByASeededCampaign() throws {
        let dir = try Self.temporaryDirectory()
        let spec = try Self.writeSpec("nodes: 3\nraft:\n  pre_vote: true\nsearch:\n  strategy: random\n", in: dir)
        let clean = try Self.run(["check", spec, "--time-limit", "1"])
        #expect(clean.status == 0, "\(clean.output)")
        #expect(clean.output.contains("raftcheck fuzz \(spec): spec 'unnamed', seed 1") && clean.output.contains("swarm on"))
        let trace = dir.appendingPathComponent("found.json").path
        let found = try Self.run(["check", spec, "--time-limit", "10", "--mutation", "pre-vote-records-vote", "--trace-out", trace])
        #expect(found.status == 1 && found.output.contains("VIOLATION: one_vote_per_term"), "\(found.output)")
        let replay = try Self.run(["replay", trace])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: one_vote_per_term"))
    }

    @Test func badUsageAndMissingFilesExitTwo() throws {
        let missing = try Self.run(["check", "/nonexistent/spec.yaml"])
        #expect(missing.status == 2)
        #expect(missing.error.contains("/nonexistent/spec.yaml: cannot read the file"))
        let badFlag = try Self.run(["check", "specs/ci.yaml", "--workers", "0"])
        #expect(badFlag.status == 2)
        let unknownFlag = try Self.run(["check", "specs/ci.yaml", "--frobnicate"])
        #expect(unknownFlag.status == 2)
        let badMutation = try Self.run(["check", "specs/ci.yaml", "--mutation", "nope"])
        #expect(badMutation.status == 2)
        #expect(badMutation.error.contains("unknown mutation 'nope'"))
    }

    @Test func badTracesExitTwoNamingTheField() throws {
        let dir = try Self.temporaryDirectory()
        func trace(_ text: String) throws -> Run {
            let path = dir.appendingPathComponent("t\(UUID().uuidString).json")
            try text.write(to: path, atomically: true, encoding: .utf8)
            return try Self.run(["replay", path.path])
        }
        let future = try trace(#"{"format": "raftcheck-trace", "version": 99}"#)
        #expect(future.status == 2 && future.error.contains("version: unsupported version 99"))
        let foreign = try trace(#"{"format": "something-else", "version": 1}"#)
        #expect(foreign.status == 2 && foreign.error.contains("format"))
        let garbage = try trace("not json at all")
        #expect(garbage.status == 2)
        // A real trace with one event broken.
        let spec = try Self.writeSpec(Self.smallSpec, in: dir)
        let good = dir.appendingPathComponent("good.json").path
        _ = try Self.run(["check", spec, "--mutation", "skip-log-up-to-date-check", "--trace-out", good])
        var object = try Self.json(good)
        var events = object["events"] as! [[String: Any]]
        events[2]["kind"] = "teleport"
        object["events"] = events
        let broken = try trace(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        #expect(broken.status == 2)
        #expect(broken.error.contains("events[2]") && broken.error.contains("event 3: unknown event kind 'teleport'"), "\(broken.error)")
        // A field of the wrong type is named as the file spells it.
        var typed = object
        var specObject = typed["spec"] as! [String: Any]
        var bounds = specObject["bounds"] as! [String: Any]
        bounds["max_term"] = "three"
        specObject["bounds"] = bounds
        typed["spec"] = specObject
        let badType = try trace(String(decoding: try JSONSerialization.data(withJSONObject: typed), as: UTF8.self))
        #expect(badType.status == 2 && badType.error.contains("spec.bounds.max_term:"), "\(badType.error)")
        object.removeValue(forKey: "spec")
        let noSpec = try trace(String(decoding: try JSONSerialization.data(withJSONObject: object), as: UTF8.self))
        #expect(noSpec.status == 2 && noSpec.error.contains("spec: missing"), "\(noSpec.error)")
    }
}

/// Every trace in corpus/regressions fails with its property on its mutation and does not fail
/// on the real core.
@Suite struct RegressionCorpusTests {
    static let directory = CommandLineTests.packageRoot.appendingPathComponent("corpus/regressions")

    static var traces: [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [])
            .filter { $0.hasSuffix(".json") }.sorted()
    }

    @Test func corpusIsNotEmpty() {
        #expect(Self.traces.count >= 3)
    }

    @Test(arguments: traces)
    func replaysFailOnTheirMutationOnly(file: String) throws {
        let path = Self.directory.appendingPathComponent(file).path
        let object = try CommandLineTests.json(path)
        let property = try #require((object["violation"] as? [String: Any])?["property"] as? String)
        #expect(object["mutation"] as? String != nil, "a regression names its mutation")
        let mutated = try CommandLineTests.run(["replay", path])
        #expect(mutated.status == 1, "\(file): \(mutated.output.suffix(300))")
        #expect(mutated.output.contains("VIOLATION: \(property)"))
        let real = try CommandLineTests.run(["replay", path, "--mutation", "none"])
        #expect(real.status == 0 || real.status == 4, "\(file) fails on the real core: \(real.output.suffix(300))")
    }
}
