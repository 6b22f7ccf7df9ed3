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
    /// it caught (`no_trap`), with a minimized trace that replays to the trap.
    @Test func aTrapIsACatchNotACrash() throws {
        let dir = try CLI.temporaryDirectory()
        let stats = dir.appendingPathComponent("mutants.json").path
        let run = try CLI.run(["mutants", "--mutation", "snapshot-below-commit-restored", "--time-limit", "10", "--workers", "2",
                               "--out", dir.path, "--stats-json", stats])
        #expect(run.status == 0 && run.output.contains("1/1 mutations caught"), "\(run.output.suffix(600))")
        let rows = try #require(try CLI.json(stats)["mutations"] as? [[String: Any]])
        let row = try #require(rows.first)
        #expect(rows.count == 1 && row["property"] as? String == "no_trap")
        let replay = try CLI.run(["replay", try #require(row["trace"] as? String)])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: no_trap"), "\(replay.output.suffix(300))")
    }

    @Test func badOptionsExitTwo() throws {
        #expect(try CLI.run(["mutants", "--time-limit", "0"]).status == 2)
        let unknown = try CLI.run(["mutants", "--mutation", "no-such-bug"])
        #expect(unknown.status == 2 && unknown.error.contains("no-such-bug"))
        let missing = try CLI.run(["mutants", "--specs", "/nonexistent-specs"])
        #expect(missing.status == 2 && missing.error.contains("/nonexistent-specs"))
    }
}
