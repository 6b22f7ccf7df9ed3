import Foundation
import Testing

/// Campaigns beyond one process: `fuzz --shard`, `corpus merge` and `import` (of
/// raftcheck-fuzzer inputs), through the executable as a batch system runs them.
@Suite struct ShardingTests {
    typealias CLI = CommandLineTests

    static func files(_ directory: URL) -> [String: Data] {
        var files: [String: Data] = [:]
        for folder in ["novel", "violations"] {
            let dir = directory.appendingPathComponent(folder)
            for name in (try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [] {
                files["\(folder)/\(name)"] = FileManager.default.contents(atPath: dir.appendingPathComponent(name).path)
            }
        }
        return files
    }

    /// Without novelty a run's walk depends on its run index alone: the shard that holds the
    /// first violating run of the whole campaign finds it, at that run, with the same trace.
    @Test func aShardFindsTheCampaignsViolationAtTheSameRun() throws {
        let dir = try CLI.temporaryDirectory()
        let common = ["fuzz", "specs/replication-3.yaml", "--mutation", "truncate-on-matching-append", "--no-novelty", "--seed", "1", "--runs", "1000"]
        let whole = try CLI.run(common + ["--trace-out", dir.appendingPathComponent("whole.json").path])
        #expect(whole.status == 1)
        let run = try #require(whole.output.firstMatch(of: /in run (\d+)/).map { Int($0.1)! })
        #expect(run > 1)
        let shard = try CLI.run(common + ["--shard", "\(run % 3)/3", "--trace-out", dir.appendingPathComponent("shard.json").path])
        #expect(shard.status == 1)
        #expect(shard.output.contains("in run \(run) "), "\(shard.output)")
        #expect(shard.output.contains("shard \(run % 3)/3"))
        let events = { (name: String) throws -> [Any] in try #require(CLI.json(dir.appendingPathComponent(name).path)["events"] as? [Any]) }
        #expect(try events("whole.json").count == events("shard.json").count)
        #expect(try NSArray(array: events("whole.json")).isEqual(to: events("shard.json")))
    }

    /// Two shards' corpora hold different runs (k mod n), and merging them gives the same files
    /// in either order, holding every run of both.
    @Test func mergedCorporaDoNotDependOnOrder() throws {
        let dir = try CLI.temporaryDirectory()
        let (a, b) = (dir.appendingPathComponent("a"), dir.appendingPathComponent("b"))
        for (k, corpus) in [(0, a), (1, b)] {
            let run = try CLI.run(["fuzz", "specs/replication-3.yaml", "--seed", "5", "--runs", "40", "--shard", "\(k)/2", "--corpus", corpus.path])
            #expect(run.status == 0, "\(run.error)")
            let runs = Self.files(corpus).keys.compactMap { $0.firstMatch(of: /run-(\d+)\.json/).map { Int($0.1)! } }
            #expect(!runs.isEmpty && runs.allSatisfy { $0 % 2 == k })
        }
        let (ab, ba) = (dir.appendingPathComponent("ab"), dir.appendingPathComponent("ba"))
        #expect(try CLI.run(["corpus", "merge", a.path, b.path, "--out", ab.path]).status == 0)
        #expect(try CLI.run(["corpus", "merge", b.path, a.path, "--out", ba.path]).status == 0)
        let merged = Self.files(ab)
        #expect(merged == Self.files(ba))
        #expect(merged.count == Self.files(a).count + Self.files(b).count)
        // A corpus merged with itself adds nothing; the same name with other contents keeps both.
        let again = dir.appendingPathComponent("again")
        #expect(try CLI.run(["corpus", "merge", ab.path, a.path, "--out", again.path]).status == 0)
        #expect(Self.files(again) == merged)
        let other = dir.appendingPathComponent("other")
        #expect(try CLI.run(["fuzz", "specs/replication-3.yaml", "--seed", "6", "--runs", "40", "--shard", "0/2", "--corpus", other.path]).status == 0)
        let clash = dir.appendingPathComponent("clash")
        #expect(try CLI.run(["corpus", "merge", a.path, other.path, "--out", clash.path]).status == 0)
        let shared = Set(Self.files(a).keys).intersection(Self.files(other).keys).filter { Self.files(a)[$0] != Self.files(other)[$0] }
        #expect(!shared.isEmpty)
        for name in shared { #expect(Self.files(clash)["\(name.dropLast(5))~1.json"] != nil && Self.files(clash)["\(name.dropLast(5))~2.json"] != nil) }
    }

    /// A fuzzer input becomes a trace that replays to the violation; the plain build of the
    /// fuzzer walks the same input to the same verdict.
    @Test func importedInputsReplay() throws {
        let dir = try CLI.temporaryDirectory()
        let input = dir.appendingPathComponent("input.bin")
        try Data((0..<400).map { UInt8(truncatingIfNeeded: $0 &* 97 &+ 13) }).write(to: input)
        let trace = dir.appendingPathComponent("input.trace.json").path
        let imported = try CLI.run(["import", input.path, "--spec", "specs/election-3.yaml", "--mutation", "quorum-off-by-one", "--out", trace])
        #expect(imported.status == 1 && imported.output.contains("VIOLATION: committed_durable"), "\(imported.output)")
        let replay = try CLI.run(["replay", trace])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: committed_durable"))
        let clean = try CLI.run(["import", input.path, "--spec", "specs/election-3.yaml", "--out", trace])
        #expect(clean.status == 0, "\(clean.output)")
        #expect(try CLI.run(["replay", trace]).status == 0)
        let fuzzer = CLI.tool.deletingLastPathComponent().appendingPathComponent("raftcheck-fuzzer")
        let plain = try CLI.run([input.path], executable: fuzzer,
                                environment: ["RAFTCHECK_SPEC": "specs/election-3.yaml", "RAFTCHECK_MUTATION": "quorum-off-by-one", "SWIFT_BACKTRACE": "enable=no"])
        #expect(plain.status == 1 && plain.error.contains("committed_durable violated"), "\(plain.error)")
    }

    @Test func badInputExitsTwo() throws {
        let dir = try CLI.temporaryDirectory()
        for shard in ["2/2", "1", "a/b", "-1/2", "0/0", "0/65537", "1/2/3", "٣/4"] {
            let run = try CLI.run(["fuzz", "specs/replication-3.yaml", "--runs", "1", "--shard", shard])
            #expect(run.status == 2 && run.error.contains("--shard"), "\(shard): \(run.error)")
        }
        // A corpus resumed under another shard.
        let corpus = dir.appendingPathComponent("c").path
        #expect(try CLI.run(["fuzz", "specs/replication-3.yaml", "--seed", "1", "--runs", "5", "--shard", "0/2", "--corpus", corpus]).status == 0)
        let resumed = try CLI.run(["fuzz", "specs/replication-3.yaml", "--seed", "1", "--runs", "5", "--shard", "1/2", "--corpus", corpus])
        #expect(resumed.status == 2 && resumed.error.contains("--shard"), "\(resumed.error)")
        let missing = try CLI.run(["corpus", "merge", "/nonexistent-corpus", "--out", dir.appendingPathComponent("m").path])
        #expect(missing.status == 2 && missing.error.contains("/nonexistent-corpus"))
        let full = try CLI.run(["corpus", "merge", corpus, "--out", corpus])
        #expect(full.status == 2 && full.error.contains("--out"))
        let garbage = dir.appendingPathComponent("g/novel")
        try FileManager.default.createDirectory(at: garbage, withIntermediateDirectories: true)
        try Data("{".utf8).write(to: garbage.appendingPathComponent("run-1.json"))
        let bad = try CLI.run(["corpus", "merge", dir.appendingPathComponent("g").path, "--out", dir.appendingPathComponent("n").path])
        #expect(bad.status == 2 && bad.error.contains("run-1.json"), "\(bad.error)")
        let unreadable = try CLI.run(["import", "/nonexistent-input", "--spec", "specs/election-3.yaml"])
        #expect(unreadable.status == 2 && unreadable.error.contains("/nonexistent-input"))
        let badSpec = try CLI.run(["import", "/dev/null", "--spec", "specs/election-3.yaml", "--mutation", "no-such-bug"])
        #expect(badSpec.status == 2 && badSpec.error.contains("--mutation"), "\(badSpec.error)")
    }
}
