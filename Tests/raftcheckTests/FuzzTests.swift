import Foundation
import Testing
@testable import raftcheck

/// `raftcheck fuzz` as users run it: determinism across processes and worker counts, mutations
/// caught within a bounded number of runs for fixed seeds, campaigns that resume after SIGKILL.
@Suite struct FuzzTests {
    typealias CLI = CommandLineTests

    @Test func sameSeedSameResultAcrossProcessesAndWorkers() throws {
        let dir = try CLI.temporaryDirectory()
        var results: [([String: Any], Data)] = []
        // Kept states are for speed only: none, or a few crowded ones, give the same result.
        let configs: [(workers: Int, flags: [String])] = [(1, []), (2, []), (1, []), (1, ["--kept-states", "0"]), (2, ["--kept-states", "31"])]
        for (workers, flags) in configs {
            let stats = dir.appendingPathComponent("s\(results.count).json").path
            let trace = dir.appendingPathComponent("t\(results.count).json").path
            let run = try CLI.run(["fuzz", "specs/crash-restart-3.yaml", "--seed", "1", "--runs", "3000", "--workers", "\(workers)",
                                   "--mutation", "vote-before-persist", "--trace-out", trace, "--stats-json", stats] + flags)
            #expect(run.status == 1, "\(run.output)\(run.error)")
            #expect(run.output.hasPrefix("raftcheck fuzz specs/crash-restart-3.yaml: spec 'crash-restart-3', seed 1"))
            results.append((try CLI.json(stats), try Data(contentsOf: URL(fileURLWithPath: trace))))
        }
        for (stats, trace) in results.dropFirst() {
            for key in ["runs", "events", "distinct_states_seen"] {
                #expect(stats[key] as? Int == results[0].0[key] as? Int, "\(key)")
            }
            #expect(trace == results[0].1)
        }
        let object = try JSONSerialization.jsonObject(with: results[0].1) as! [String: Any]
        #expect(object["seed"] as? Int == 1)
        #expect(object["run"] is Int)
        // The fuzz trace replays to the same violation.
        let replay = try CLI.run(["replay", dir.appendingPathComponent("t0.json").path])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: election_safety"))
    }

    /// (spec, mutation, runs within which seed 1 catches it)
    @Test(arguments: [
        ("specs/replication-3.yaml", "skip-log-up-to-date-check", 200),
        ("specs/crash-restart-3.yaml", "vote-before-persist", 3000),
        ("specs/duplicates-5.yaml", "count-duplicate-votes", 400),
        ("specs/membership-3.yaml", "two-pending-conf-changes", 500),
        ("specs/figure8-3.yaml", "commit-previous-term", 10000),
    ])
    func mutationCaughtWithinBoundedRuns(spec: String, mutation: String, runs: Int) throws {
        let run = try CLI.run(["fuzz", spec, "--seed", "1", "--runs", "\(runs)", "--mutation", mutation,
                               "--trace-out", try CLI.temporaryDirectory().appendingPathComponent("t.json").path])
        #expect(run.status == 1, "\(mutation): \(run.output.suffix(300))")
        let clean = try CLI.run(["fuzz", spec, "--seed", "1", "--runs", "\(runs)"])
        #expect(clean.status == 0, "the real core: \(clean.output.suffix(300))")
    }

    /// The spec's `fuzz.novelty` chooses how walks pick successors; `--novelty`/`--no-novelty`
    /// override it.
    @Test func specChoosesNoveltyAndFlagsOverride() throws {
        let dir = try CLI.temporaryDirectory()
        let base = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent("specs/election-3.yaml").path, encoding: .utf8)
        let off = dir.appendingPathComponent("off.yaml").path
        try (base + "\nfuzz:\n  novelty: false\n").write(toFile: off, atomically: true, encoding: .utf8)
        func fuzz(_ spec: String, _ flags: [String]) throws -> (header: String, events: Int?, distinct: Int?) {
            let stats = dir.appendingPathComponent("\(UUID().uuidString).json").path
            let run = try CLI.run(["fuzz", spec, "--seed", "3", "--runs", "300", "--stats-json", stats] + flags)
            #expect(run.status == 0, "\(run.output)\(run.error)")
            let json = try CLI.json(stats)
            return (String(run.output.prefix { $0 != "\n" }), json["events"] as? Int, json["distinct_states_seen"] as? Int)
        }
        let offBySpec = try fuzz(off, []), offByFlag = try fuzz("specs/election-3.yaml", ["--no-novelty"])
        let onByFlag = try fuzz(off, ["--novelty"]), onByDefault = try fuzz("specs/election-3.yaml", [])
        #expect(offBySpec.header.contains("novelty off") && onByFlag.header.contains("novelty on"))
        #expect(offBySpec.events == offByFlag.events && offBySpec.distinct == offByFlag.distinct)
        #expect(onByFlag.events == onByDefault.events && onByFlag.distinct == onByDefault.distinct)
        #expect(offBySpec.distinct != onByFlag.distinct)
    }

    /// A campaign killed with SIGKILL keeps what it saved; rerunning resumes its seed sequence.
    @Test func campaignResumesAfterSIGKILL() throws {
        let corpus = try CLI.temporaryDirectory().appendingPathComponent("campaign").path
        let process = Process()
        process.executableURL = CLI.tool
        process.arguments = ["fuzz", "specs/replication-3.yaml", "--seed", "7", "--corpus", corpus]
        process.currentDirectoryURL = CLI.packageRoot
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        // Wait (bounded) for the campaign to save its first rounds, then kill it.
        var saved: [String: Any]?
        for _ in 0..<600 where saved == nil {
            Thread.sleep(forTimeInterval: 0.05)
            if let data = FileManager.default.contents(atPath: "\(corpus)/campaign.json"),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
               (object["nextRun"] as? Int ?? 0) >= 128 {
                saved = object
            }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = try #require(saved)
        // The traces the campaign saved, as a resume loads them: a kill during a write can leave
        // its hidden temporary file (`.NAME.PID.tmp`), never a partial trace.
        let novel = try FileManager.default.contentsOfDirectory(atPath: "\(corpus)/novel").filter { $0.hasSuffix(".json") }
        #expect(!novel.isEmpty)
        for file in novel {
            // Every saved corpus trace is whole: it reads and replays clean.
            let replay = try CLI.run(["replay", "\(corpus)/novel/\(file)"])
            #expect(replay.status == 0, "\(file)")
        }
        let resumed = try CLI.run(["fuzz", "specs/replication-3.yaml", "--corpus", corpus, "--runs", "64"])
        #expect(resumed.status == 0)
        #expect(resumed.output.contains("resuming campaign \(corpus): seed 7, continuing at run"), "\(resumed.output)")
        let after = try CLI.json("\(corpus)/campaign.json")
        #expect((after["nextRun"] as? Int ?? 0) >= (before["nextRun"] as? Int ?? 0) + 64)
        let wrongSeed = try CLI.run(["fuzz", "specs/replication-3.yaml", "--corpus", corpus, "--seed", "8", "--runs", "1"])
        #expect(wrongSeed.status == 2 && wrongSeed.error.contains("has seed 7"))
    }

    /// PCT scheduling catches a mutation too, and stays deterministic.
    @Test func pctSchedulingCatchesAMutation() throws {
        var outputs: [String] = []
        for _ in 0..<2 {
            let run = try CLI.run(["fuzz", "specs/replication-3.yaml", "--seed", "1", "--runs", "200", "--pct",
                                   "--mutation", "skip-log-up-to-date-check",
                                   "--trace-out", try CLI.temporaryDirectory().appendingPathComponent("t.json").path])
            #expect(run.status == 1, "\(run.output.suffix(300))")
            let line = run.output.split(separator: "\n").first { $0.hasPrefix("VIOLATION") } ?? ""
            outputs.append(String(line.prefix { $0 != ";" }))
        }
        #expect(!outputs[0].isEmpty && outputs[0] == outputs[1])
    }

    /// A `--frontier` campaign is the same on any number of workers, and one stopped and
    /// resumed from its corpus (which rebuilds the frontier from the novel walks in run order)
    /// finds new states in the same runs as one never stopped.
    @Test func frontierCampaignsResumeAsTheyWouldHaveGoneOn() throws {
        let dir = try CLI.temporaryDirectory()
        func fuzz(_ corpus: String, runs: Int, workers: Int = 1) throws -> [String: Any] {
            let stats = dir.appendingPathComponent("\(UUID().uuidString).json").path
            let run = try CLI.run(["fuzz", "specs/replication-3.yaml", "--seed", "3", "--runs", "\(runs)", "--frontier",
                                   "--workers", "\(workers)", "--corpus", "\(dir.path)/\(corpus)", "--stats-json", stats])
            #expect(run.status == 0 && run.output.contains("frontier on"), "\(run.output)\(run.error)")
            return try CLI.json(stats)
        }
        let one = try fuzz("whole", runs: 640), two = try fuzz("parallel", runs: 640, workers: 2)
        #expect(two["events"] as? Int == one["events"] as? Int)
        #expect(two["distinct_states_seen"] as? Int == one["distinct_states_seen"] as? Int)
        _ = try fuzz("stopped", runs: 192)
        _ = try fuzz("stopped", runs: 448)
        let novel = { (corpus: String) in Campaign.novelTraces("\(dir.path)/\(corpus)").map { URL(fileURLWithPath: $0).lastPathComponent } }
        let (whole, stopped, parallel) = (novel("whole"), novel("stopped"), novel("parallel"))
        #expect(whole.count > 64)
        // Compared whole, reported by count (the lists are long).
        let (resumedSame, parallelSame) = (stopped == whole, parallel == whole)
        #expect(resumedSame, "resumed: \(stopped.count) novel runs, \(Set(stopped).symmetricDifference(whole).count) differ")
        #expect(parallelSame, "2 workers: \(parallel.count) novel runs, \(Set(parallel).symmetricDifference(whole).count) differ")
    }

    /// With `fuzz.min_nodes`, swarm runs pick their cluster size from their seed: the corpus
    /// holds walks on every size, each trace carries the spec its run walked (and replays on
    /// it), and the campaign is as deterministic as any other.
    @Test func swarmPicksClusterSizes() throws {
        let dir = try CLI.temporaryDirectory()
        let spec = dir.appendingPathComponent("sizes.yaml").path
        try "name: sizes\nnodes: 5\nevents:\n  heartbeat: false\nbounds:\n  max_in_flight: 6\nfuzz:\n  min_nodes: 3\n"
            .write(toFile: spec, atomically: true, encoding: .utf8)
        var distinct: [Int] = []
        for attempt in 0..<2 {
            let corpus = dir.appendingPathComponent("corpus\(attempt)").path
            let stats = dir.appendingPathComponent("s\(attempt).json").path
            let run = try CLI.run(["fuzz", spec, "--swarm", "--seed", "4", "--runs", "300", "--corpus", corpus, "--stats-json", stats])
            #expect(run.status == 0, "\(run.output)\(run.error)")
            #expect(run.output.contains("swarm on (nodes 3-5)"))
            distinct.append(try CLI.json(stats)["distinct_states_seen"] as? Int ?? -1)
            var sizes = Set<Int>()
            for file in Campaign.novelTraces(corpus) {
                let object = try CLI.json(file)
                sizes.insert((object["spec"] as? [String: Any])?["nodes"] as? Int ?? 0)
            }
            #expect(sizes == [3, 4, 5])
        }
        #expect(distinct[0] > 0 && distinct[0] == distinct[1])
        // A violation found on a smaller cluster replays from its trace alone.
        let trace = dir.appendingPathComponent("t.json").path
        let found = try CLI.run(["fuzz", spec, "--swarm", "--seed", "1", "--runs", "100", "--mutation", "quorum-off-by-one", "--trace-out", trace])
        #expect(found.status == 1 && found.output.contains("on 3 nodes"), "\(found.output)")
        let replay = try CLI.run(["replay", trace])
        #expect(replay.status == 1 && replay.output.contains("n3:") && !replay.output.contains("n4:"), "\(replay.output)")
        // Without --swarm the cluster keeps its size; a size outside 1...nodes is refused.
        let plain = try CLI.run(["fuzz", spec, "--seed", "1", "--runs", "1"])
        #expect(plain.output.contains("swarm off,"))
        try "nodes: 3\nfuzz:\n  min_nodes: 4\n".write(toFile: spec, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["fuzz", spec, "--swarm", "--runs", "1"])
        #expect(bad.status == 2 && bad.error.contains("sizes.yaml:3:3: fuzz.min_nodes"), "\(bad.error)")
    }

    @Test func badFlagsExitTwo() throws {
        for arguments in [["fuzz", "specs/ci.yaml", "--runs", "0"], ["fuzz", "specs/ci.yaml", "--workers", "0"],
                          ["fuzz", "specs/ci.yaml", "--seed", "minus-one"], ["fuzz", "specs/tla/small.yaml", "--runs", "1"],
                          ["fuzz", "/nonexistent.yaml"], ["fuzz", "specs/ci.yaml", "--mutation", "nope", "--runs", "1"],
                          ["fuzz", "specs/ci.yaml", "--kept-states", "-1"], ["fuzz", "specs/ci.yaml", "--kept-states", "16777217"]] {
            let run = try CLI.run(arguments)
            #expect(run.status == 2, "\(arguments): \(run.error)")
        }
    }
}
