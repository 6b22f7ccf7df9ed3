import Foundation
import RaftExplorer
import RaftSim
import Testing
@testable import raftcheck
import RaftCheckFiles

/// Traces as users hand them around: robust reading, minimization, pictures.
@Suite struct TraceTests {
    typealias CLI = CommandLineTests

    static let regression = CLI.packageRoot.appendingPathComponent("corpus/regressions/vote-before-persist.json")

    /// Random bytes and randomly mutated traces never crash the reader: they parse or they are
    /// refused with an `InputError`.
    @Test func readerSurvivesRandomAndMutatedInput() throws {
        let valid = try Data(contentsOf: Self.regression)
        var rng = Xoshiro256(seed: 42)
        var refused = 0
        for i in 0..<4000 {
            var bytes: [UInt8]
            if i % 2 == 0 {
                bytes = (0..<Int(rng.next(below: 300))).map { _ in UInt8(rng.next(below: 256)) }
            } else {
                bytes = Array(valid)
                for _ in 0..<(1 + rng.next(below: 4)) {
                    let at = Int(rng.next(below: UInt64(bytes.count)))
                    switch rng.next(below: 3) {
                    case 0: bytes[at] = UInt8(rng.next(below: 256))
                    case 1: bytes.remove(at: at)
                    default: bytes.insert(Array("{}[]\":,0123456789-e".utf8)[Int(rng.next(below: 19))], at: at)
                    }
                }
            }
            do {
                let (trace, events) = try TraceFile.decode(Data(bytes), file: "fuzzed.json")
                // What parses must also replay without crashing (diverging is fine).
                _ = ClusterModel(spec: trace.spec).replay(events)
            } catch {
                refused += 1
                #expect(error.description.hasPrefix("fuzzed.json"))
            }
        }
        #expect(refused > 2000)
    }

    @Test func eventsNamingUnknownNodesAreRefused() throws {
        var object = try CLI.json(Self.regression.path)
        var events = object["events"] as! [[String: Any]]
        events[0]["node"] = 9
        object["events"] = events
        let data = try JSONSerialization.data(withJSONObject: object)
        #expect(throws: InputError.self) { try TraceFile.decode(data, file: "t.json") }
    }

    /// A long random counterexample shrinks to the BFS-shortest length (within 1.2×), keeps its
    /// property, and still fails when replayed.
    @Test func minimizeShrinksAFuzzTraceToNearlyShortest() throws {
        let dir = try CLI.temporaryDirectory()
        let fuzzed = dir.appendingPathComponent("fuzz.json").path
        let minimized = dir.appendingPathComponent("min.json").path
        let stats = dir.appendingPathComponent("min.stats.json").path
        let fuzz = try CLI.run(["fuzz", "specs/crash-restart-3.yaml", "--seed", "1", "--runs", "3000",
                                "--mutation", "vote-before-persist", "--trace-out", fuzzed])
        #expect(fuzz.status == 1)
        let run = try CLI.run(["minimize", fuzzed, "--out", minimized, "--stats-json", stats])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        let summary = try CLI.json(stats)
        let original = summary["original_length"] as! Int, length = summary["minimized_length"] as! Int
        #expect(length < original)
        #expect(Double(length) <= 1.2 * 18, "BFS-shortest is 18 events; got \(length)")
        let replay = try CLI.run(["replay", minimized])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: election_safety"))
        // Threads speed up the breadth-first pass only: the same events come out.
        let parallel = dir.appendingPathComponent("min2.json").path
        #expect(try CLI.run(["minimize", fuzzed, "--out", parallel, "--workers", "2"]).status == 0)
        #expect(try CLI.json(parallel)["events"] as? [[String: AnyHashable]] == CLI.json(minimized)["events"] as? [[String: AnyHashable]])
        for bad in [["--workers", "0"], ["--search-budget", "-1"]] {
            #expect(try CLI.run(["minimize", fuzzed, "--out", parallel] + bad).status == 2, "\(bad)")
        }
        // A trace without a violation has nothing to keep.
        let corpusDir = try CLI.temporaryDirectory().path
        _ = try CLI.run(["fuzz", "specs/ci.yaml", "--seed", "3", "--runs", "64", "--corpus", corpusDir])
        let clean = try FileManager.default.contentsOfDirectory(atPath: "\(corpusDir)/novel").sorted().first!
        let refused = try CLI.run(["minimize", "\(corpusDir)/novel/\(clean)", "--out", minimized])
        #expect(refused.status == 2 && refused.error.contains("violation"))
    }

    /// A counterexample whose shortest form is a different scenario: the fuzz trace of
    /// `two-pending-conf-changes` (membership-3, seed 5) is 1-minimal at 25 events, and only the
    /// random walks confined to what it does find the scenario that comes out within 1.2× of
    /// the BFS-shortest counterexample (16 events).
    @Test func minimizeFindsAShorterScenario() throws {
        let dir = try CLI.temporaryDirectory()
        let fuzzed = dir.appendingPathComponent("fuzz.json").path, stats = dir.appendingPathComponent("min.stats.json").path
        let fuzz = try CLI.run(["fuzz", "specs/membership-3.yaml", "--seed", "5", "--runs", "200",
                                "--mutation", "two-pending-conf-changes", "--trace-out", fuzzed])
        #expect(fuzz.status == 1)
        for (walks, found) in [(0, false), (Minimizer.defaultWalkBudget, true)] {
            let minimized = dir.appendingPathComponent("min-\(walks).json").path
            let run = try CLI.run(["minimize", fuzzed, "--out", minimized, "--stats-json", stats, "--workers", "2",
                                   "--walk-budget", "\(walks)"])
            #expect(run.status == 0, "\(run.output)\(run.error)")
            let summary = try CLI.json(stats)
            let length = try #require(summary["minimized_length"] as? Int)
            #expect(summary["found_by_walks"] as? Bool == found)
            #expect((Double(length) <= 1.2 * 16) == found, "\(walks) walks: \(length) events")
            let replay = try CLI.run(["replay", minimized])
            #expect(replay.status == 1 && replay.output.contains("VIOLATION: \(summary["property"] as? String ?? "?")"))
        }
        #expect(try CLI.run(["minimize", fuzzed, "--out", stats, "--walk-budget", "-1"]).status == 2)
    }

    /// A fuzz walk more than 10,000 events long (long-walks-3, seed 4) shrinks to a handful of
    /// events that still fail with its property on their own; short random walks find the
    /// property failing far sooner before delta debugging starts.
    @Test func minimizeShrinksATenThousandEventTrace() throws {
        let dir = try CLI.temporaryDirectory()
        let fuzzed = dir.appendingPathComponent("long.json").path, minimized = dir.appendingPathComponent("min.json").path
        let stats = dir.appendingPathComponent("min.stats.json").path
        let fuzz = try CLI.run(["fuzz", "specs/long-walks-3.yaml", "--seed", "4", "--runs", "3", "--mutation", "count-stale-votes",
                                "--trace-out", fuzzed])
        #expect(fuzz.status == 1, "\(fuzz.output.suffix(300))")
        let run = try CLI.run(["minimize", fuzzed, "--out", minimized, "--stats-json", stats])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        let summary = try CLI.json(stats)
        #expect(summary["original_length"] as? Int ?? 0 > 10_000)
        #expect(summary["minimized_length"] as? Int ?? .max <= 12)
        #expect(summary["found_by_walks"] as? Bool == true)
        let property = try #require(summary["property"] as? String)
        let replay = try CLI.run(["replay", minimized])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: \(property)"))
    }

    /// A counterexample that needs fewer nodes than its spec has comes out on the smaller
    /// cluster: fewer events, the same property, and it replays on its own.
    @Test func minimizeShrinksTheCluster() throws {
        guard case .cluster(var spec) = try SpecLoader.load(path: CLI.packageRoot.appendingPathComponent("specs/replication-3.yaml").path) else {
            Issue.record("replication-3 is a cluster spec")
            return
        }
        spec.mutation = "truncate-on-matching-append"
        let report = try BreadthFirstSearch(model: ClusterModel(spec: spec), options: SearchOptions()).run()
        let found = try #require(report.counterexample)
        var minimizer = Minimizer(model: ClusterModel(spec: spec), property: found.property)
        let result = minimizer.minimize(found.actions)
        let minimized = try #require(result)
        #expect(minimizer.model.spec.nodes == 2)
        #expect(minimized.count < found.actions.count, "BFS-shortest on 3 nodes: \(found.actions.count)")
        let replay = ClusterModel(spec: minimizer.model.spec).replay(minimized)
        #expect(replay.states.count == minimized.count + 1)
        let last = try #require(replay.states.last)
        #expect(minimizer.model.violation(in: last) == found.property)
    }

    @Test func showDrawsTimelinesAndSequenceDiagrams() throws {
        let text = try CLI.run(["show", Self.regression.path])
        #expect(text.status == 0)
        #expect(text.output.contains("crash 3") && text.output.contains("VIOLATION: election_safety"))
        let mermaid = try CLI.run(["show", Self.regression.path, "--format", "mermaid"])
        #expect(mermaid.status == 0)
        let lines = mermaid.output.split(separator: "\n")
        #expect(lines.first == "sequenceDiagram")
        #expect(lines.contains("    participant n3"))
        #expect(lines.contains { $0.contains("->>") })
        #expect(lines.contains { $0.contains("Note over n3: crash") })
        #expect(lines.contains { $0.contains("VIOLATION election_safety") })
        #expect(try CLI.run(["show", Self.regression.path, "--format", "svg"]).status == 2)
    }

    @Test func replayExplainsADivergence() throws {
        let fixed = try CLI.run(["replay", Self.regression.path, "--mutation", "none"])
        #expect(fixed.status == 4)
        #expect(fixed.output.contains("DIVERGED at event") && fixed.output.contains("not in flight"), "\(fixed.output.suffix(200))")
    }
}
