import Foundation
@_spi(Checker) import RaftCore
import Testing

/// `raftcheck mutants`: one row per bug-zoo mutation, traces that replay to the reported
/// property, and an exit code that says whether every mutation was caught.
@Suite struct MutantsTests {
    typealias CLI = CommandLineTests

    @Test func tableTracesAndExitCode() throws {
        let dir = try CLI.temporaryDirectory()
        let stats = dir.appendingPathComponent("mutants.json").path
        let run = try CLI.run(["mutants", "--time-limit", "1", "--workers", "1", "--out", dir.path, "--stats-json", stats])
        let summary = try CLI.json(stats)
        let rows = try #require(summary["mutations"] as? [[String: Any]])
        let names = Mutation.named.map { $0.name }
        #expect(rows.compactMap { $0["mutation"] as? String } == names && summary["total"] as? Int == names.count)
        let caught = rows.filter { $0["caught"] as? Bool == true }
        #expect(summary["caught"] as? Int == caught.count)
        #expect(run.status == (caught.count == rows.count ? 0 : 1), "\(run.output.suffix(600))")
        #expect(run.output.contains("\(caught.count)/\(names.count) mutations caught"))
        // The shallowest bugs are found at once, whatever the machine's speed.
        for name in ["quorum-off-by-one", "forget-vote-on-step-down", "skip-log-up-to-date-check"] {
            #expect(caught.contains { $0["mutation"] as? String == name }, "\(name) not caught")
        }
        for row in caught {
            let mutation = row["mutation"] as? String ?? "?"
            let property = try #require(row["property"] as? String)
            let minimized = try #require(row["minimized"] as? Int)
            if let shortest = row["shortest"] as? Int { #expect(minimized <= shortest, "\(mutation)") }
            let trace = try #require(row["trace"] as? String)
            let replay = try CLI.run(["replay", trace])
            #expect(replay.status == 1 && replay.output.contains("VIOLATION: \(property)"), "\(mutation): \(replay.output.suffix(300))")
        }
    }

    /// A mutation that makes the core trap ends only the process hunting it: the zoo reports
    /// it caught (`no_trap`), with a minimized trace that replays to the trap and that `show`
    /// renders up to it. The spec the catalog names is swapped for one whose seeded campaign
    /// meets the trap in its first hundred walks, so the test does not depend on speed.
    @Test func aTrapIsACatchNotACrash() throws {
        let dir = try CLI.temporaryDirectory()
        let specs = dir.appendingPathComponent("specs")
        try FileManager.default.createDirectory(at: specs, withIntermediateDirectories: true)
        try """
            name: snapshot-random-3
            nodes: 3
            events: {heartbeat: true, drop: true, duplicate: true, compact: true}
            bounds: {max_term: 2, max_proposals: 3, max_in_flight: 8, max_drops: 3, max_duplicates: 3, max_compactions: 3}
            search: {strategy: random}
            fuzz: {depth: 80, swarm: false, weights: {duplicate: 10, compact: 10, propose: 6, drop: 6}}
            """.write(to: specs.appendingPathComponent("snapshot-random-3.yaml"), atomically: true, encoding: .utf8)
        try FileManager.default.copyItem(atPath: CLI.packageRoot.appendingPathComponent("specs/liveness-snapshot-3.yaml").path, toPath: specs.appendingPathComponent("liveness-snapshot-3.yaml").path)
        let stats = dir.appendingPathComponent("mutants.json").path
        let run = try CLI.run(["mutants", "--mutation", "snapshot-below-commit-restored", "--time-limit", "600", "--workers", "2",
                               "--specs", specs.path, "--out", dir.path, "--stats-json", stats])
        #expect(run.status == 0 && run.output.contains("1/1 mutations caught"), "\(run.output.suffix(600))")
        let rows = try #require(try CLI.json(stats)["mutations"] as? [[String: Any]])
        let row = try #require(rows.first)
        #expect(rows.count == 1 && row["property"] as? String == "no_trap")
        let trace = try #require(row["trace"] as? String)
        let replay = try CLI.run(["replay", trace])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: no_trap"), "\(replay.output.suffix(300))")
        for format in ["text", "mermaid", "html"] {
            let shown = try CLI.run(["show", trace, "--format", format])
            #expect(shown.status == 0 && shown.output.contains("TRAP at event"), "\(format): \(shown.error.suffix(300))")
        }
    }

    @Test func badOptionsExitTwo() throws {
        #expect(try CLI.run(["mutants", "--time-limit", "0"]).status == 2)
        let unknown = try CLI.run(["mutants", "--mutation", "no-such-bug"])
        #expect(unknown.status == 2 && unknown.error.contains("no-such-bug"))
        let missing = try CLI.run(["mutants", "--specs", "/nonexistent-specs"])
        #expect(missing.status == 2 && missing.error.contains("/nonexistent-specs"))
    }
}
