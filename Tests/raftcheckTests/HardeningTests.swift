import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing
@testable import raftcheck
import RaftCore
import RaftSim
import RaftCheckFiles

/// Hostile input: deterministic mutations of the shipped specs and regression traces go
/// through the loaders and a short run of the model in process (a trap fails the whole test
/// run), and a sample of them through the commands, which must exit 0, 1 or 2 and name the file.
@Suite struct HardeningTests {
    typealias CLI = CommandLineTests

    /// A deterministic generator, so every run tries the same inputs.
    struct Generator {
        var mix: SplitMix64
        init(state: UInt64) { mix = SplitMix64(seed: state) }
        mutating func below(_ n: Int) -> Int { Int(mix.next(below: UInt64(n))) }
        mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
    }

    /// Values that broke or could break a parser or the arithmetic behind it.
    static let hostileValues = [
        "0", "-1", "1", "7", "8", "255", "256", "1000", "1001", "65536", "2147483648", "4611686018427387904",
        "9223372036854775807", "-9223372036854775808", "18446744073709551615", "18446744073709551616",
        "1e400", "nan", ".inf", "\"3\"", "'true'", "yes", "null", "~", "", "[1, 2]", "{a: 1}", "[", "}",
        "\u{1B}[31mred", String(repeating: "k", count: 5000), "../../../x", "/tmp/x", "lease", "random",
    ]

    /// One of `texts` mutated one to four times, with donors among them.
    static func mutant(of texts: [String], _ g: inout Generator) -> String {
        var text = g.pick(texts)
        for _ in 0...g.below(3) { text = mutate(text, donor: g.pick(texts), &g) }
        return text
    }

    /// One mutation of a text: a value replaced, a line deleted, duplicated or borrowed from
    /// `donor`, the text cut short, or a byte changed.
    static func mutate(_ text: String, donor: String, _ g: inout Generator) -> String {
        var lines = text.components(separatedBy: "\n")
        let donorLines = donor.components(separatedBy: "\n")
        let i = g.below(max(lines.count, 1))
        switch g.below(6) {
        case 0, 1:
            // The value after a key (YAML) or after a colon (JSON); a line without one goes.
            if let colon = lines[i].firstIndex(of: ":") {
                lines[i] = String(lines[i][...colon]) + " " + g.pick(hostileValues) + (lines[i].hasSuffix(",") ? "," : "")
            } else {
                lines.remove(at: i)
            }
        case 2: lines.remove(at: i)
        case 3: lines.insert(lines[i], at: i)
        case 4: lines.insert(g.pick(donorLines), at: i)
        default:
            var bytes = Array(lines.joined(separator: "\n").utf8)
            guard !bytes.isEmpty else { break }
            if g.below(2) == 0 { bytes.removeLast(g.below(bytes.count)) } else { bytes[g.below(bytes.count)] = UInt8(g.below(128)) }
            return String(decoding: bytes, as: UTF8.self)
        }
        return lines.joined(separator: "\n")
    }

    static func files(_ directory: String, _ suffix: String) -> [String] {
        let dir = CLI.packageRoot.appendingPathComponent(directory)
        return ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? [])
            .filter { $0.hasSuffix(suffix) }.sorted().map { dir.appendingPathComponent($0).path }
    }

    static func read(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

    /// An error for a person: it starts with the file's name, fits in a line, and holds no
    /// control character.
    static func expectClear(_ error: InputError, naming file: String) {
        let message = error.description
        #expect(message.hasPrefix(file), "\(message)")
        #expect(message.count < 3 * InputError.maxPart, "an error line stays short")
        #expect(!message.unicodeScalars.contains { $0.properties.generalCategory == .control }, "\(message)")
    }

    /// A few thousand mutated specs through the loader and validation, the valid ones run.
    @Test func mutatedSpecsAreRefusedWithAFieldOrRun() {
        let specs = Self.files("specs", ".yaml").map(Self.read)
        #expect(specs.count >= 10)
        var g = Generator(state: 1)
        var refused = 0, accepted = 0
        for round in 0..<3000 {
            let text = Self.mutant(of: specs, &g)
            do {
                let loaded = try SpecLoader.parse(text, file: "mutant-\(round).yaml")
                guard case .cluster(let spec) = loaded else { accepted += 1; continue }
                if let problem = spec.problems().first {
                    refused += 1
                    #expect(!problem.field.isEmpty && !problem.message.isEmpty)
                } else {
                    accepted += 1
                    DecoderExercise.walk(spec, steps: 40) { g.below($0) }
                }
            } catch {
                refused += 1
                Self.expectClear(error, naming: "mutant-\(round).yaml")
            }
        }
        // Both outcomes occur: the mutations are neither all fatal nor all harmless.
        #expect(refused > 300 && accepted > 300, "refused \(refused), accepted \(accepted)")
    }

    /// A few thousand mutated traces through the decoder, the decodable ones replayed.
    @Test func mutatedTracesAreRefusedWithAFieldOrReplay() {
        let traces = Self.files("corpus/regressions", ".json").map(Self.read)
        #expect(traces.count >= 3)
        var g = Generator(state: 2)
        var refused = 0, decoded = 0
        for round in 0..<2000 {
            let text = Self.mutant(of: traces, &g)
            do {
                let (trace, events) = try TraceFile.decode(Data(text.utf8), file: "mutant-\(round).json")
                decoded += 1
                _ = ClusterModel(spec: trace.spec).replay(events)
            } catch {
                refused += 1
                Self.expectClear(error, naming: "mutant-\(round).json")
            }
        }
        #expect(refused > 200 && decoded > 200, "refused \(refused), decoded \(decoded)")
    }

    /// A sample through the commands themselves: exit 0, 1 or 2, and an exit 2 names the file.
    @Test func mutatedInputsThroughTheCommandsExitZeroOneOrTwo() throws {
        let dir = try CLI.temporaryDirectory()
        let specs = Self.files("specs", ".yaml").map(Self.read)
        let traces = Self.files("corpus/regressions", ".json").map(Self.read)
        var g = Generator(state: 3)
        for round in 0..<24 {
            let isSpec = round % 2 == 0
            let source = isSpec ? specs : traces
            let text = Self.mutate(g.pick(source), donor: g.pick(source), &g)
            let path = dir.appendingPathComponent("mutant-\(round).\(isSpec ? "yaml" : "json")").path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let trace = dir.appendingPathComponent("out-\(round).json").path
            let commands: [[String]] = isSpec
                ? [["check", path, "--time-limit", "0.3", "--trace-out", trace], ["fuzz", path, "--time-limit", "0.3", "--seed", "1", "--trace-out", trace]]
                : [["replay", path], ["show", path], ["minimize", path, "--out", trace]]
            for command in commands {
                let run = try CLI.run(command)
                #expect([0, 1, 2].contains(run.status), "\(command.joined(separator: " ")): exit \(run.status)\n\(text.prefix(2000))")
                if run.status == 2 { #expect(run.error.contains(path), "\(command[0]): \(run.error.prefix(300))") }
            }
        }
    }

    @Test func hostileFlagsAndFilesExitTwo() throws {
        let dir = try CLI.temporaryDirectory()
        let spec = "specs/ci.yaml"
        for flags in [["--workers", "9223372036854775807"], ["--workers", "4398046511104"], ["--max-memory", "8796093022208"]] {
            let run = try CLI.run(["check", spec] + flags)
            #expect(run.status == 2 && run.error.contains(flags[0]), "\(flags): \(run.error)")
        }
        #expect(try CLI.run(["fuzz", spec, "--runs", "9223372036854775807"]).status == 2)
        #expect(try CLI.run(["minimize", Self.files("corpus/regressions", ".json").first ?? "", "--workers", "4398046511104"]).status == 2)
        // A campaign file with a run number out of range names the file and the field.
        let corpus = dir.appendingPathComponent("campaign").path
        try FileManager.default.createDirectory(atPath: corpus, withIntermediateDirectories: true)
        try #"{"seed": 1, "nextRun": -5}"#.write(toFile: corpus + "/campaign.json", atomically: true, encoding: .utf8)
        let resumed = try CLI.run(["fuzz", spec, "--corpus", corpus, "--time-limit", "1"])
        #expect(resumed.status == 2 && resumed.error.contains("campaign.json: nextRun"), "\(resumed.error)")
        // An output that is a directory is refused, and a violation found keeps exit 1.
        let violation = try CLI.run(["check", spec, "--mutation", "pre-vote-records-vote", "--trace-out", dir.path, "--stats-json", dir.path])
        #expect(violation.status == 1 && violation.error.contains("is a directory"), "\(violation.error)")
        let clean = try CLI.run(["check", spec, "--time-limit", "0.3", "--stats-json", dir.path])
        #expect(clean.status == 2 && clean.error.contains("is a directory"), "\(clean.error)")
        // A spec's name never leads a default output out of the working directory.
        let named = dir.appendingPathComponent("named.yaml").path
        let ci = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent(spec).path, encoding: .utf8)
        try ci.replacingOccurrences(of: "name: ci\n", with: "name: ../../escape\n").write(toFile: named, atomically: true, encoding: .utf8)
        let run = try CLI.run(["check", named, "--mutation", "pre-vote-records-vote", "--time-limit", "120"])
        #expect(run.status == 1 && run.output.contains("trace written to _.._escape.trace.json"), "\(run.output.suffix(400))")
        try? FileManager.default.removeItem(at: CLI.packageRoot.appendingPathComponent("_.._escape.trace.json"))
    }

    @Test func typesAreStrictAndMessagesNameTheField() throws {
        let dir = try CLI.temporaryDirectory()
        let quoted = try CLI.writeSpec("name: q\nnodes: \"3\"\n", in: dir)
        let run = try CLI.run(["check", quoted])
        #expect(run.status == 2 && run.error.contains("nodes: expected an integer, got the quoted string '3'"), "\(run.error)")
        let flag = try CLI.run(["fuzz", "specs/ci.yaml", "--depth", "100000000"])
        #expect(flag.status == 2 && flag.error.contains("--depth must be between 1 and") && !flag.error.contains("ci.yaml"), "\(flag.error)")
        // A trace: a number no field holds, and a property this tool does not check.
        let source = try String(contentsOfFile: CLI.packageRoot.appendingPathComponent("corpus/regressions/commit-previous-term.json").path, encoding: .utf8)
        for (needle, replacement, expected) in [("\"nodes\" : 3", "\"nodes\" : 99999999999999999999999", "spec.nodes: expected an integer, got '99999999999999999999999'"),
                                                ("\"property\" : \"leader_completeness\"", "\"property\" : \"nonsense\"", "violation.property: unknown property 'nonsense'"),
                                                ("\"step\" : 30", "\"step\" : -3", "violation.step: must be between 0 and the number of events (30)"),
                                                ("\"name\" : \"figure8-3\"", "\"name\" : \"figure8-3\", \"colour\" : 1", "spec.colour: unknown key")] {
            #expect(source.contains(needle))
            let file = dir.appendingPathComponent("bad.json").path
            try source.replacingOccurrences(of: needle, with: replacement).write(toFile: file, atomically: true, encoding: .utf8)
            for command in ["replay", "minimize"] {
                let bad = try CLI.run([command, file] + (command == "minimize" ? ["--out", dir.appendingPathComponent("m.json").path] : []))
                #expect(bad.status == 2 && bad.error.contains(expected), "\(command): \(bad.error)")
            }
        }
    }

    /// Minimization stops at its time limit and still writes a trace that fails the same way.
    @Test func minimizeHonoursItsTimeLimit() throws {
        let dir = try CLI.temporaryDirectory()
        let out = dir.appendingPathComponent("m.json").path
        let run = try CLI.run(["minimize", "corpus/regressions/commit-previous-term.json", "--out", out, "--time-limit", "0.05",
                               "--stats-json", dir.appendingPathComponent("s.json").path])
        #expect(run.status == 0 && run.output.contains("stopped early (time limit)"), "\(run.output)")
        let stats = try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("s.json"))) as? [String: Any]
        #expect(stats?["complete"] as? Bool == false && stats?["schema_version"] as? Int == 1)
        let replay = try CLI.run(["replay", out])
        #expect(replay.status == 1 && replay.output.contains("leader_completeness"), "\(replay.output)")
    }

    /// SIGINT stops the gate's running check, which reports what it did; the specs after it
    /// are skipped, and the JUnit report says so.
    @Test func anInterruptedGateSaysSo() throws {
        let dir = try CLI.temporaryDirectory()
        let junit = dir.appendingPathComponent("gate.xml").path
        let process = Process()
        process.executableURL = CLI.tool
        process.arguments = ["gate", "specs/production-5.yaml", "specs/ci.yaml", "--junit", junit]
        process.currentDirectoryURL = CLI.packageRoot
        let out = Pipe()
        process.standardOutput = out
        try process.run()
        // The gate handles SIGINT from its start; its first check (a random search) has begun
        // once it prints.
        var seen = Data()
        while !String(decoding: seen, as: UTF8.self).contains("raftcheck fuzz") {
            let chunk = out.fileHandleForReading.availableData
            if chunk.isEmpty { break }
            seen += chunk
        }
        process.interrupt()
        seen += out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let output = String(decoding: seen, as: UTF8.self)
        #expect(process.terminationStatus == 0 && output.contains("interrupted (1 skipped)"), "\(output.suffix(600))")
        let report = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(report.contains("no violation (incomplete: interrupted)") && report.contains("<skipped message=\"interrupted"), "\(report)")
    }

    /// A JUnit report stays well-formed XML whatever the spec's path and error hold.
    @Test func junitEscapesEverything() throws {
        let dir = try CLI.temporaryDirectory()
        let spec = try CLI.writeSpec("name: x\nnodes: 0\n", in: dir, name: "odd&\"<'>\u{1}.yaml")
        let junit = dir.appendingPathComponent("gate.xml")
        let run = try CLI.run(["gate", spec, "--junit", junit.path])
        #expect(run.status == 2)
        let report = try Data(contentsOf: junit)
        #expect(XMLParser(data: report).parse(), "\(String(decoding: report, as: UTF8.self))")
    }

    @Test func defaultOutputNamesStayInTheDirectory() {
        #expect(fileName(forSpecNamed: "ci") == "ci")
        #expect(fileName(forSpecNamed: "../../x") == "_.._x")
        #expect(fileName(forSpecNamed: "/etc/passwd") == "_etc_passwd")
        #expect(fileName(forSpecNamed: "..") == "unnamed")
        #expect(fileName(forSpecNamed: "a\u{1B}[31m") == "a__31m")
    }
}
