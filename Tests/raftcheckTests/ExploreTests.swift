import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import Testing

/// `raftcheck explore` in a real browser: the server on 127.0.0.1, the page's own buttons.
@Suite struct ExploreTests {
    typealias CLI = CommandLineTests

    /// A running `raftcheck explore` and the address it printed; stopped on deinit.
    final class Server {
        let process = Process()
        let url: String

        init(_ arguments: [String]) throws {
            process.executableURL = CLI.tool
            process.arguments = ["explore"] + arguments + ["--port", "0"]
            process.currentDirectoryURL = CLI.packageRoot
            let out = Pipe()
            process.standardOutput = out
            process.standardError = FileHandle.nullDevice
            try process.run()
            // The address line comes once the server listens (the process flushes it).
            var text = ""
            while !text.contains("explore: http://") || !text.hasSuffix("\n") {
                let chunk = out.fileHandleForReading.availableData
                if chunk.isEmpty { break }
                text += String(decoding: chunk, as: UTF8.self)
            }
            let line = try #require(text.split(separator: "\n").first { $0.hasPrefix("explore: http://127.0.0.1:") }, "\(text)")
            url = String(line.dropFirst("explore: ".count)).trimmingCharacters(in: CharacterSet(charactersIn: "/"))
        }

        deinit {
            process.terminate()
            process.waitUntilExit()
        }

        func get(_ path: String) async throws -> Data {
            let (data, response) = try await URLSession.shared.data(from: URL(string: url + path)!)
            #expect((response as? HTTPURLResponse)?.statusCode == 200)
            return data
        }
    }

    /// The `<table class="nodes">` of a page's state panel.
    static func nodesTable(_ dom: String) throws -> Substring {
        let start = try #require(dom.range(of: "<table class=\"nodes\">"))
        let end = try #require(dom.range(of: "</table>", range: start.upperBound..<dom.endIndex))
        return dom[start.lowerBound..<end.upperBound]
    }

    /// Events taken through the page's buttons (and one taken back) change the state shown; the
    /// path saved as a trace replays, and its view shows the same state after its last step.
    @Test func takingEventsThroughThePage() async throws {
        let server = try Server([CLI.packageRoot.appendingPathComponent("specs/ci.yaml").path])
        let first = try Chromium.load(server.url + "/")
        #expect(first.console.isEmpty, "\(first.console)")
        #expect(first.dom.contains("data-ready=\"true\""))
        #expect(first.dom.contains("<h2>Initial state</h2>"))
        #expect(!first.dom.contains("pre-candidate"))

        // timeout 1, then the first delivery, taken back, then the second delivery.
        let page = try Chromium.load(server.url + "/?script=take:0,take:3,back,take:5")
        #expect(page.console.isEmpty, "\(page.console)")
        #expect(page.dom.contains("data-ready=\"true\""))
        #expect(page.dom.contains("<h2>After step 2: deliver 1-&gt;3 pre-vote"), "\(page.dom.prefix(3000))")
        #expect(page.dom.contains("<td class=\"role\">pre-candidate</td>"))

        let dir = try CLI.temporaryDirectory()
        let trace = dir.appendingPathComponent("explored.trace.json")
        try await server.get("/api/trace").write(to: trace)
        let events = try CLI.json(trace.path)["events"] as! [[String: Any]]
        #expect(events.map { $0["kind"] as! String } == ["timeout", "deliver"])
        let replay = try CLI.run(["replay", trace.path])
        #expect(replay.status == 0, "\(replay.output)")

        let view = dir.appendingPathComponent("explored.html").path
        #expect(try CLI.run(["show", trace.path, "--format", "html", "-o", view]).status == 0)
        let shown = try Chromium.load("file://\(view)")
        #expect(try Self.nodesTable(shown.dom) == (try Self.nodesTable(page.dom)))
    }

    /// A trace to start from is taken first, on the spec's cluster; a request for an event not
    /// enabled is refused with 409. A trace that does not apply to the spec exits 2.
    @Test func startsFromATrace() async throws {
        let trace = CLI.packageRoot.appendingPathComponent("corpus/regressions/commit-previous-term.json").path
        let figure8 = CLI.packageRoot.appendingPathComponent("specs/figure8-3.yaml").path
        let server = try Server([figure8, trace, "--mutation", "commit-previous-term"])
        let state = try JSONSerialization.jsonObject(with: try await server.get("/api/state")) as! [String: Any]
        let events = try CLI.json(trace)["events"] as! [Any]
        #expect((state["path"] as! [Any]).count == events.count)
        #expect((state["state"] as! [String: Any])["violation"] as? String == "leader_completeness")
        var request = URLRequest(url: URL(string: server.url + "/api/take/9999")!)
        request.httpMethod = "POST"
        let (_, response) = try await URLSession.shared.data(for: request)
        #expect((response as? HTTPURLResponse)?.statusCode == 409)

        let diverged = try CLI.run(["explore", figure8, trace, "--port", "0"])
        #expect(diverged.status == 2)
        #expect(diverged.error.contains("commit-previous-term.json") && diverged.error.contains("diverged"), "\(diverged.error)")
    }

    @Test func badInputExits2() throws {
        let missing = try CLI.run(["explore", "no-such-spec.yaml", "--port", "0"])
        #expect(missing.status == 2)
        #expect(missing.error.contains("no-such-spec.yaml"))
        let port = try CLI.run(["explore", "specs/ci.yaml", "--port", "70000"])
        #expect(port.status == 2)
        let tla = try CLI.run(["explore", "specs/tla/tiny.yaml", "--port", "0"])
        #expect(tla.status == 2, "\(tla.output)")
    }
}
