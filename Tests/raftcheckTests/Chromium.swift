import Foundation
import Testing

/// Debian's chromium, headless, as the pages' tests run it: the page loads, its scripts run
/// (virtual time, so no wall-clock wait), and the DOM they leave is printed. `make test`
/// installs chromium (`make deps`).
enum Chromium {
    struct Page {
        var dom: String
        /// Everything the page wrote to its console: errors, uncaught exceptions, logs.
        var console: [String]
    }

    static let executable: String? = ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"]
        .first { FileManager.default.isExecutableFile(atPath: $0) }

    /// Loads `url` and returns the DOM once the page's scripts (and their fetches) settled
    /// within `budget` milliseconds of virtual time; the process is killed after 120 s.
    static func load(_ url: String, budget: Int = 5000) throws -> Page {
        let chromium = try #require(executable, "chromium is not installed (make deps installs it)")
        let profile = FileManager.default.temporaryDirectory.appendingPathComponent("raftcheck-chromium-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: profile) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/timeout")
        process.arguments = ["120", chromium, "--headless", "--no-sandbox", "--disable-gpu", "--no-first-run",
                             "--user-data-dir=\(profile.path)", "--enable-logging=stderr", "--v=0",
                             "--virtual-time-budget=\(budget)", "--dump-dom", url]
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        // Both pipes drained at once: a full stderr pipe would stall the browser.
        nonisolated(unsafe) var errors = Data()
        let reader = Thread { errors = err.fileHandleForReading.readDataToEndOfFile() }
        reader.start()
        let dom = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        while !reader.isFinished { usleep(1000) }
        let console = String(decoding: errors, as: UTF8.self).split(separator: "\n").filter { $0.contains(":CONSOLE") }.map(String.init)
        return Page(dom: String(decoding: dom, as: UTF8.self), console: console)
    }

    /// How many times `needle` occurs in `text`.
    static func count(_ needle: String, in text: String) -> Int {
        text.components(separatedBy: needle).count - 1
    }
}
