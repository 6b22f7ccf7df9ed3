import ArgumentParser
import Foundation
import RaftCheckFiles

/// `raftcheck gate [PATH ...]`: the CI safety gate. Checks every spec (BFS, each within its
/// budget) and writes one JUnit test case per spec; traces of failures go next to the JUnit file.
struct Gate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Check every spec under the given paths (default: specs/); exit 1 on a violation, 2 on a bad spec.")

    @Argument(help: "Spec files or directories (searched for *.yaml).")
    var paths: [String] = ["specs"]

    @Option(help: "Write a JUnit XML report here; failure traces are written beside it.")
    var junit: String?

    @Option(help: "Threads per check.")
    var workers = 1

    @Option(help: "Seconds for a spec that sets no time limit of its own.")
    var defaultTimeLimit = 300.0

    @Option(help: "Stop a check when resident memory passes this many MiB.")
    var maxMemory = 8000

    struct Result {
        var spec: String
        var seconds: Double
        var outcome: Outcome
        /// `passed`'s end: how the check ended (its stats' `end`: complete, time_limit,
        /// interrupted, …); `skipped`: not checked, the gate was interrupted before it.
        enum Outcome { case passed(end: String), violation(property: String, trace: String, page: String?), badSpec(String), internalError, skipped }
    }

    func validate() throws {
        try validateWorkers(workers)
        try validateMaxMemory(maxMemory)
        guard defaultTimeLimit > 0 else { throw ValidationError("--default-time-limit must be positive") }
    }

    func run() throws {
        let specs = try collectSpecs()
        let directory = junit.map { URL(fileURLWithPath: $0).deletingLastPathComponent().path } ?? "."
        do {
            try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        } catch {
            throw InputError(file: directory, message: "cannot create the report directory: \(error.localizedDescription)")
        }
        var results: [Result] = []
        // A check stops at SIGINT/SIGTERM (and reports what it did); the gate then skips the rest.
        installInterruptHandler()
        // A trap in the core ends the process once its trace is written: the report says so,
        // the specs not checked yet as skipped. No page: drawing one replays the trace here.
        Check.afterTrap = { property, trace in
            let trapped = Result(spec: specs[results.count], seconds: 0, outcome: .violation(property: property, trace: trace, page: nil))
            let rest = specs.dropFirst(results.count + 1).map { Result(spec: $0, seconds: 0, outcome: .skipped) }
            if let junit { try? writeJUnit(results + [trapped] + rest, to: junit) }
            print("gate: \(property) in \(specs[results.count]); \(rest.count) specs not checked\(junit.map { "; JUnit report \($0)" } ?? "")")
        }
        for spec in specs {
            results.append(interruptRequested != 0 ? Result(spec: spec, seconds: 0, outcome: .skipped) : check(spec, traceDirectory: directory))
        }
        Check.afterTrap = nil
        if let junit { try writeJUnit(results, to: junit) }
        let violations = results.filter { if case .violation = $0.outcome { true } else { false } }
        let bad = results.filter { if case .badSpec = $0.outcome { true } else { false } }
        let skipped = results.filter { if case .skipped = $0.outcome { true } else { false } }
        print("gate: \(results.count) specs, \(violations.count) violated, \(bad.count) bad\(interruptRequested != 0 ? ", interrupted (\(skipped.count) skipped)" : "")\(junit.map { "; JUnit report \($0)" } ?? "")")
        if !bad.isEmpty { throw ExitCode(Exit.badInput.rawValue) }
        if !violations.isEmpty { throw ExitCode(Exit.violation.rawValue) }
        if results.contains(where: { if case .internalError = $0.outcome { true } else { false } }) {
            throw ExitCode(Exit.internalError.rawValue)
        }
    }

    /// Every *.yaml under the paths, sorted; a path that does not exist is bad input.
    private func collectSpecs() throws(InputError) -> [String] {
        var specs: [String] = []
        for path in paths {
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw InputError(file: path, message: "no such file or directory")
            }
            if isDirectory.boolValue {
                let files = FileManager.default.enumerator(atPath: path)?.compactMap { $0 as? String } ?? []
                specs += files.filter { $0.hasSuffix(".yaml") }.sorted().map { "\(path)/\($0)" }
            } else {
                specs.append(path)
            }
        }
        return specs
    }

    /// Runs `raftcheck check` on one spec, with the default budget if the spec sets none.
    private func check(_ spec: String, traceDirectory: String) -> Result {
        let clock = Stopwatch()
        let name = URL(fileURLWithPath: spec).deletingPathExtension().lastPathComponent
        let trace = "\(traceDirectory)/\(name).trace.json"
        var arguments = [spec, "--workers", "\(workers)", "--max-memory", "\(maxMemory)", "--trace-out", trace]
        let outcome: Result.Outcome
        do {
            let loaded = try SpecLoader.load(path: spec)
            let timeLimit: Double? = switch loaded {
            case .cluster(let s): s.search.timeLimit
            case .raftTLA(let s): s.search.timeLimit
            }
            if timeLimit == nil { arguments += ["--time-limit", "\(defaultTimeLimit)"] }
            let verdict = try Check.parse(arguments).execute()
            outcome = switch (verdict.exit, verdict.violation) {
            case (.violation, let violation?): .violation(property: violation.property, trace: trace,
                                                          page: loaded.isCluster ? Self.writePage(trace) : nil)
            case (.clean, _): .passed(end: verdict.end)
            default: .internalError
            }
        } catch let error as InputError {
            print("gate: \(error)")
            outcome = .badSpec(error.description)
        } catch {
            // A bad option the gate passed on (say, from a spec's budget): the parser's message.
            outcome = .badSpec(Check.message(for: error))
        }
        return Result(spec: spec, seconds: clock.seconds, outcome: outcome)
    }

    /// The HTML view of a failing cluster trace, beside it (`NAME.trace.html`): its path, or nil
    /// if it could not be written (said on stderr; the trace itself is there).
    static func writePage(_ trace: String) -> String? {
        let page = trace.hasSuffix(".json") ? String(trace.dropLast(5)) + ".html" : trace + ".html"
        do {
            try Show.parse([trace, "--format", "html", "--output", page]).run()
            print("gate: the trace's HTML view is \(page)")
            return page
        } catch {
            FileHandle.standardError.write(Data("gate: cannot write the trace's HTML view: \(error)\n".utf8))
            return nil
        }
    }

    private func writeJUnit(_ results: [Result], to path: String) throws(InputError) {
        // XML 1.0 allows tab, newline and carriage return among the control characters, no
        // others (not even escaped), nor U+FFFE and U+FFFF: those become U+FFFD.
        func escape(_ s: String) -> String {
            var out = ""
            for scalar in s.unicodeScalars {
                switch scalar {
                case "&": out += "&amp;"
                case "<": out += "&lt;"
                case ">": out += "&gt;"
                case "\"": out += "&quot;"
                case "'": out += "&apos;"
                case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
                case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += "\u{FFFD}"
                default: out.unicodeScalars.append(scalar)
                }
            }
            return out
        }
        let failures = results.filter { if case .violation = $0.outcome { true } else { false } }.count
        let errors = results.filter { switch $0.outcome { case .badSpec, .internalError: true; default: false } }.count
        let skipped = results.filter { if case .skipped = $0.outcome { true } else { false } }.count
        var xml = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        xml += "<testsuites>\n  <testsuite name=\"raftcheck gate\" tests=\"\(results.count)\" failures=\"\(failures)\" errors=\"\(errors)\" skipped=\"\(skipped)\" time=\"\(String(format: "%.3f", results.reduce(0) { $0 + $1.seconds }))\">\n"
        for result in results {
            let name = URL(fileURLWithPath: result.spec).deletingPathExtension().lastPathComponent
            xml += "    <testcase classname=\"raftcheck.gate\" name=\"\(escape(name))\" file=\"\(escape(result.spec))\" time=\"\(String(format: "%.3f", result.seconds))\">\n"
            switch result.outcome {
            case .passed(let end):
                xml += "      <system-out>no violation (\(end == "complete" ? "complete" : "incomplete: \(end.replacingOccurrences(of: "_", with: " "))"))</system-out>\n"
            case .skipped:
                xml += "      <skipped message=\"interrupted before this spec was checked\"/>\n"
            case .violation(let property, let trace, let page):
                let view = page.map { "; view \(escape($0))" } ?? ""
                xml += "      <failure type=\"violation\" message=\"\(escape(property)) violated; trace \(escape(trace))\(view)\">raftcheck replay \(escape(trace))</failure>\n"
            case .badSpec(let message):
                xml += "      <error type=\"bad-spec\" message=\"\(escape(message))\"/>\n"
            case .internalError:
                xml += "      <error type=\"internal\" message=\"raftcheck failed\"/>\n"
            }
            xml += "    </testcase>\n"
        }
        xml += "  </testsuite>\n</testsuites>\n"
        try writeOutput(Data(xml.utf8), to: path, what: "JUnit report")
    }
}
