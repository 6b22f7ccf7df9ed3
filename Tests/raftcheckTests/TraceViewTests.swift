import Foundation
import Testing

/// `show --format html` in a real browser, and the page the gate writes beside a failing trace.
@Suite struct TraceViewTests {
    typealias CLI = CommandLineTests
    static let trace = CLI.packageRoot.appendingPathComponent("corpus/regressions/commit-previous-term.json").path

    static func kinds(_ trace: String) throws -> [String] {
        let events = try CLI.json(trace)["events"] as! [[String: Any]]
        return events.map { $0["kind"] as! String }
    }

    /// The page loads with no console output, draws one arrow per delivery, highlights the
    /// failing step and opens on it, with the broken property in the state panel.
    @Test func pageShowsTheTrace() throws {
        let dir = try CLI.temporaryDirectory()
        let page = dir.appendingPathComponent("trace.html").path
        let run = try CLI.run(["show", Self.trace, "--format", "html", "--output", page])
        #expect(run.status == 0, "\(run.error)")
        let html = try String(contentsOfFile: page, encoding: .utf8)
        #expect(!html.contains("http://") || !html.contains("<script src"), "the page must not load anything")

        let loaded = try Chromium.load("file://\(page)")
        #expect(loaded.console.isEmpty, "\(loaded.console)")
        #expect(loaded.dom.contains("data-ready=\"true\""))
        let kinds = try Self.kinds(Self.trace)
        #expect(Chromium.count("class=\"msg deliver\"", in: loaded.dom) == kinds.filter { $0 == "deliver" }.count)
        #expect(Chromium.count("class=\"msg drop\"", in: loaded.dom) == kinds.filter { $0 == "drop" }.count)
        #expect(loaded.dom.contains("class=\"row violation selected\" data-step=\"\(kinds.count)\""))
        #expect(loaded.dom.contains("id=\"violation\">Violates leader_completeness<"))
    }

    /// A `#step=N` link opens the page on that step: the panel shows the state after it.
    @Test func linkSelectsAStep() throws {
        let dir = try CLI.temporaryDirectory()
        let page = dir.appendingPathComponent("trace.html").path
        #expect(try CLI.run(["show", Self.trace, "--format", "html", "-o", page]).status == 0)
        let loaded = try Chromium.load("file://\(page)#step=3")
        #expect(loaded.console.isEmpty, "\(loaded.console)")
        #expect(loaded.dom.contains("<h2>After step 3: "))
        #expect(loaded.dom.contains("class=\"row selected\" data-step=\"3\""))
        #expect(!loaded.dom.contains("id=\"violation\""))
    }

    /// The gate writes the view beside a failing trace and names it in the JUnit report.
    @Test func gateWritesTheView() throws {
        let dir = try CLI.temporaryDirectory()
        _ = try CLI.writeSpec(CLI.smallSpec + "\nmutation: skip-log-up-to-date-check\n", in: dir, name: "broken.yaml")
        let junit = dir.appendingPathComponent("report/junit.xml").path
        let run = try CLI.run(["gate", dir.appendingPathComponent("broken.yaml").path, "--junit", junit])
        #expect(run.status == 1, "\(run.output)\(run.error)")
        let page = dir.appendingPathComponent("report/broken.trace.html").path
        #expect(FileManager.default.fileExists(atPath: page))
        #expect(try String(contentsOfFile: junit, encoding: .utf8).contains("view \(page)"))
    }

    @Test func badFormatExits2() throws {
        let run = try CLI.run(["show", Self.trace, "--format", "png"])
        #expect(run.status == 2)
        #expect(run.error.contains("png"))
    }
}
