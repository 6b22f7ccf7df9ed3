import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import Testing

/// `raftcheck gate`: one JUnit test case per spec, failures with their traces, exit codes.
@Suite struct GateTests {
    typealias CLI = CommandLineTests

    @Test func gateReportsViolationsAndBadSpecsInJUnit() throws {
        let dir = try CLI.temporaryDirectory()
        let specs = dir.appendingPathComponent("specs")
        try FileManager.default.createDirectory(at: specs, withIntermediateDirectories: true)
        _ = try CLI.writeSpec(CLI.smallSpec, in: specs, name: "a-clean.yaml")
        _ = try CLI.writeSpec(CLI.smallSpec + "\nmutation: skip-log-up-to-date-check\n", in: specs, name: "b-buggy.yaml")
        let junit = dir.appendingPathComponent("report/junit.xml").path
        let run = try CLI.run(["gate", specs.path, "--junit", junit])
        #expect(run.status == 1, "\(run.output.suffix(400))\(run.error)")
        let xml = try String(contentsOfFile: junit, encoding: .utf8)
        #expect(xml.contains("tests=\"2\" failures=\"1\" errors=\"0\""))
        #expect(xml.contains("name=\"a-clean\"") && xml.contains("no violation (complete)"))
        #expect(xml.contains("<failure type=\"violation\" message=\"leader_completeness violated"))
        _ = try XMLDocument(contentsOf: URL(fileURLWithPath: junit))
        let trace = dir.appendingPathComponent("report/b-buggy.trace.json").path
        let replay = try CLI.run(["replay", trace])
        #expect(replay.status == 1 && replay.output.contains("VIOLATION: leader_completeness"))

        _ = try CLI.writeSpec("nodes: 3\nbogus: 1\n", in: specs, name: "c-bad.yaml")
        let bad = try CLI.run(["gate", specs.path, "--junit", junit])
        #expect(bad.status == 2)
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("<error type=\"bad-spec\""))
        #expect(try CLI.run(["gate", "/nonexistent-specs"]).status == 2)
    }
}
