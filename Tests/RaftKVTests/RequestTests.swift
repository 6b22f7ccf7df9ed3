import Foundation
import Testing

/// `raftkv` as a user meets it: bad options exit 2 and name the option; bad requests get a
/// clear `ERR` line and the connection goes on; a single member serves its own writes.
@Suite struct RequestTests {
    static func run(_ arguments: [String]) throws -> (status: Int32, error: String) {
        let process = Process()
        process.executableURL = KVCluster.executable
        process.arguments = arguments
        let err = Pipe()
        process.standardError = err
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        try process.run()
        let error = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: error, as: UTF8.self))
    }

    @Test func badOptionsExit2() throws {
        let base = ["--data", FileManager.default.temporaryDirectory.appendingPathComponent("raftkv-bad-\(UUID())").path,
                    "--listen", "127.0.0.1:0"]
        for (arguments, named) in [
            (["--id", "1", "--peers", "1=127.0.0.1"] + base, "--peers"),
            (["--id", "2", "--peers", "1=127.0.0.1:7001"] + base, "--peers"),
            (["--id", "0", "--peers", "1=127.0.0.1:7001"] + base, "--id"),
            (["--id", "1", "--peers", "1=127.0.0.1:7001", "--election-ticks", "1"] + base, "--election-ticks"),
            (["--id", "1", "--peers", "1=127.0.0.1:7001", "--data", "/dev/null/x", "--listen", "127.0.0.1:0"], "--data"),
            (["--id", "x", "--peers", "1=127.0.0.1:7001"] + base, "--id"),
        ] {
            let (status, error) = try Self.run(arguments)
            #expect(status == 2, "\(arguments): \(error)")
            #expect(error.contains(named), "\(arguments): \(error)")
        }
    }

    @Test func badRequestsGetErrors() throws {
        let cluster = try KVCluster(size: 1)
        defer { cluster.stopAll() }
        try cluster.start(0)
        let client = try Client(port: cluster.clientPorts[0])
        for (request, answer) in [
            ("", "ERR empty request"),
            ("FETCH a", "ERR unknown request 'FETCH' (GET, PUT, CAS, STATS, CUT)"),
            ("PUT a", "ERR usage: PUT KEY VALUE"),
            ("GET a b c", "ERR usage: GET KEY [stale|default|consistent]"),
            ("GET a sometimes", "ERR read mode 'sometimes' is not stale, default or consistent"),
            ("PUT \(String(repeating: "k", count: 300)) v", "ERR '\(String(repeating: "k", count: 40))' is not a key or value (1-256 printable bytes, no spaces)"),
        ] {
            #expect(try client.ask(request, timeout: 5) == answer, "\(request)")
        }
        // The connection goes on; a member alone leads once it has campaigned.
        var put = ""
        for _ in 0..<200 where put != "OK" {
            put = try client.ask("PUT a 1", timeout: 5)
            if put != "OK" { usleep(20_000) }
        }
        #expect(put == "OK")
        #expect(try client.ask("CAS a 2 3", timeout: 5) == "MISMATCH 1")
        #expect(try client.ask("CAS a 1 3", timeout: 5) == "OK")
        #expect(try client.ask("GET a consistent", timeout: 5) == "VALUE 3")
        #expect(try client.ask("GET b", timeout: 5) == "NONE")
        // A line past 64 KiB is refused and the connection closed.
        #expect(try client.ask(String(repeating: "x", count: 70_000), timeout: 5).hasPrefix("ERR request longer than"))
    }
}
