import Foundation
import Testing

/// `show --format itf` and `--format shiviz`: other tools' formats, checked against their
/// definitions, and ITF read back as the trace.
@Suite struct TraceFormatsTests {
    typealias CLI = CommandLineTests
    static let traces = ["commit-previous-term.json", "skip-prev-log-check.json", "two-pending-conf-changes.json"]
        .map { CLI.packageRoot.appendingPathComponent("corpus/regressions/\($0)").path }
        .filter { FileManager.default.fileExists(atPath: $0) }
    static let schema = CLI.packageRoot.appendingPathComponent("docs/formats/itf.schema.json").path

    /// Validates `file` against the ITF JSON schema with Debian's python3-jsonschema.
    static func validateITF(_ file: String) throws -> CLI.Run {
        let script = "import json, sys, jsonschema\n"
            + "jsonschema.Draft202012Validator(json.load(open(sys.argv[1]))).validate(json.load(open(sys.argv[2])))\n"
        return try CLI.run(["-c", script, schema, file], executable: URL(fileURLWithPath: "/usr/bin/python3"))
    }

    /// The ITF output validates against the schema; read back, it is the same trace: the same
    /// timeline, the same replay verdict, and the same ITF again.
    @Test(arguments: traces) func itfRoundTrips(_ trace: String) throws {
        #expect(!Self.traces.isEmpty)
        let dir = try CLI.temporaryDirectory()
        let itf = dir.appendingPathComponent("trace.itf.json").path
        let written = try CLI.run(["show", trace, "--format", "itf", "-o", itf])
        #expect(written.status == 0, "\(written.error)")
        let valid = try Self.validateITF(itf)
        #expect(valid.status == 0, "\(valid.error)")

        let states = try CLI.json(itf)["states"] as! [[String: Any]]
        let events = try CLI.json(trace)["events"] as! [Any]
        #expect(states.count == events.count + 1)

        for arguments in [["show", "--format", "text"], ["replay"]] {
            let fromJSON = try CLI.run(arguments + [trace])
            let fromITF = try CLI.run(arguments + [itf])
            #expect(fromITF.status == fromJSON.status)
            // After the header, which names the file.
            #expect(fromITF.output.split(separator: "\n").dropFirst() == fromJSON.output.split(separator: "\n").dropFirst())
        }
        let again = try CLI.run(["show", itf, "--format", "itf"])
        #expect(again.output == (try String(contentsOfFile: itf, encoding: .utf8)))
    }

    /// Bad ITF exits 2 naming the file and the field.
    @Test func badITFExits2() throws {
        let dir = try CLI.temporaryDirectory()
        let itf = dir.appendingPathComponent("trace.itf.json").path
        #expect(try CLI.run(["show", Self.traces[0], "--format", "itf", "-o", itf]).status == 0)
        var object = try CLI.json(itf)
        var states = object["states"] as! [[String: Any]]
        var action = states[2]["action"] as! [String: Any]
        var message = action["message"] as! [String: Any]
        message["term"] = ["#bigint": "x7"]
        action["message"] = message
        states[2]["action"] = action
        object["states"] = states
        let bad = dir.appendingPathComponent("bad.itf.json").path
        try JSONSerialization.data(withJSONObject: object).write(to: URL(fileURLWithPath: bad))
        let run = try CLI.run(["replay", bad])
        #expect(run.status == 2)
        #expect(run.error.contains("bad.itf.json") && run.error.contains("states[2].action.message.term"), "\(run.error)")

        var noMeta = try CLI.json(itf)
        noMeta["#meta"] = ["format": "ITF"]
        try JSONSerialization.data(withJSONObject: noMeta).write(to: URL(fileURLWithPath: bad))
        let missing = try CLI.run(["replay", bad])
        #expect(missing.status == 2)
        #expect(missing.error.contains("#meta.raftcheck"), "\(missing.error)")
    }

    /// The ShiViz log: the parsing expression, an empty delimiter line, then an event and its
    /// host's vector clock per step. As ShiViz requires, each host's own entry starts at 1
    /// and goes up by one per event of that host, and no clock entry ever goes back; a
    /// delivery's clock has seen its sender.
    @Test func shivizClocks() throws {
        let trace = Self.traces[0]
        let run = try CLI.run(["show", trace, "--format", "shiviz"])
        #expect(run.status == 0)
        let lines = run.output.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        #expect(lines[0] == #"(?<event>.*)\n(?<host>\S*) (?<clock>{.*})"#)
        #expect(lines[1].isEmpty)
        let events = try CLI.json(trace)["events"] as! [[String: Any]]
        let body = Array(lines.dropFirst(2).filter { !$0.isEmpty })
        #expect(body.count == 2 * events.count)
        var last: [String: [String: Int]] = [:]
        for (i, event) in events.enumerated() {
            let hostLine = body[2 * i + 1]
            let space = try #require(hostLine.firstIndex(of: " "))
            let host = String(hostLine[..<space])
            let clock = try JSONSerialization.jsonObject(with: Data(hostLine[space...].utf8)) as! [String: Int]
            #expect(clock[host] == (last[host]?[host] ?? 0) + 1, "step \(i + 1)")
            for (h, t) in last[host] ?? [:] { #expect(clock[h, default: 0] >= t) }
            if event["kind"] as? String == "deliver", let m = event["message"] as? [String: Any] {
                #expect(host == "n\(m["to"] as! Int)")
                #expect(clock["n\(m["from"] as! Int)", default: 0] >= 1)
            }
            last[host] = clock
        }
    }
}
