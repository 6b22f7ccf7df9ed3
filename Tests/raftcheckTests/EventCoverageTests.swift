import Foundation
import Testing

/// Coverage by event kind in the stats, and `--progress-jsonl`.
@Suite struct EventCoverageTests {
    typealias CLI = CommandLineTests

    static func coverage(_ stats: [String: Any]) -> [String: (enabled: Int, taken: Int, new: Int)] {
        var result: [String: (Int, Int, Int)] = [:]
        for row in stats["event_coverage"] as! [[String: Any]] {
            result[row["kind"] as! String] = (row["enabled"] as! Int, row["taken"] as! Int, row["new"] as! Int)
        }
        return result
    }

    /// BFS: every distinct state but the initial one is new by exactly one event, so the new
    /// counts add up to the distinct states less one; taken never exceeds enabled; kinds the
    /// spec turns off are never enabled; and the counts do not depend on the number of workers.
    @Test func checkCountsEachKind() throws {
        let dir = try CLI.temporaryDirectory()
        let spec = try CLI.writeSpec(CLI.smallSpec, in: dir)
        var tallies: [[String: (enabled: Int, taken: Int, new: Int)]] = []
        for workers in [1, 2] {
            let stats = dir.appendingPathComponent("stats-\(workers).json").path
            let run = try CLI.run(["check", spec, "--workers", "\(workers)", "--stats-json", stats, "--coverage"])
            #expect(run.status == 0, "\(run.output)\(run.error)")
            #expect(run.output.contains("coverage by event kind"))
            let json = try CLI.json(stats)
            let coverage = Self.coverage(json)
            #expect(coverage.values.reduce(0) { $0 + $1.new } == json["distinct_states"] as! Int - 1)
            #expect(coverage.values.allSatisfy { $0.taken <= $0.enabled && $0.new <= $0.taken })
            #expect(coverage["heartbeat"]?.enabled == 0)
            #expect(coverage["deliver"]!.new > 0 && coverage["timeout"]!.new > 0)
            tallies.append(coverage)
        }
        #expect(tallies[0].mapValues { [$0.enabled, $0.taken, $0.new] } == tallies[1].mapValues { [$0.enabled, $0.taken, $0.new] })
    }

    /// A fuzz campaign counts what its walks took: one taken event per event walked.
    @Test func fuzzCountsEachKind() throws {
        let dir = try CLI.temporaryDirectory()
        let spec = try CLI.writeSpec(CLI.smallSpec, in: dir)
        let stats = dir.appendingPathComponent("stats.json").path
        let run = try CLI.run(["fuzz", spec, "--runs", "200", "--seed", "3", "--stats-json", stats])
        #expect(run.status == 0, "\(run.output)\(run.error)")
        let json = try CLI.json(stats)
        let coverage = Self.coverage(json)
        #expect(coverage.values.reduce(0) { $0 + $1.taken } == json["events"] as! Int)
        #expect(coverage.values.reduce(0) { $0 + $1.new } == json["distinct_states_seen"] as! Int - 1)
    }

    /// `--progress-jsonl`: one JSON object per line, counts that never go back, and a final
    /// line with the summary's counts; a path that cannot be created exits 2 naming it.
    @Test func progressLines() throws {
        let dir = try CLI.temporaryDirectory()
        let spec = try CLI.writeSpec(CLI.smallSpec, in: dir)
        let log = dir.appendingPathComponent("progress.jsonl").path
        let stats = dir.appendingPathComponent("stats.json").path
        let run = try CLI.run(["check", spec, "--progress-jsonl", log, "--stats-json", stats])
        #expect(run.status == 0)
        let lines = try String(contentsOfFile: log, encoding: .utf8).split(separator: "\n").map {
            try JSONSerialization.jsonObject(with: Data($0.utf8)) as! [String: Any]
        }
        #expect(!lines.isEmpty)
        let distinct = lines.map { $0["distinct"] as! Int }
        #expect(distinct == distinct.sorted())
        #expect(lines.last?["final"] as? Bool == true)
        #expect(distinct.last == (try CLI.json(stats))["distinct_states"] as? Int)

        let bad = try CLI.run(["check", spec, "--progress-jsonl", dir.appendingPathComponent("missing/p.jsonl").path])
        #expect(bad.status == 2)
        #expect(bad.error.contains("missing/p.jsonl") && bad.error.contains("--progress-jsonl"), "\(bad.error)")
    }
}
