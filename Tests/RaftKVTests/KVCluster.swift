import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// `raftkv` members as real processes on 127.0.0.1, each with its own data directory, started,
/// killed with SIGKILL and restarted by the test.
final class KVCluster: @unchecked Sendable {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built service, beside this test bundle.
    static let executable: URL = {
        let beside = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("raftkv")
        if FileManager.default.isExecutableFile(atPath: beside.path) { return beside }
        return packageRoot.appendingPathComponent(".build/release/raftkv")
    }()

    let size: Int
    let root: URL
    let raftPorts: [Int]
    let clientPorts: [Int]
    private let lock = NSLock()
    private var processes: [Process?]

    init(size: Int) throws {
        self.size = size
        root = FileManager.default.temporaryDirectory.appendingPathComponent("raftkv-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: root, withIntermediateDirectories: true)
        let ports = try Self.freePorts(2 * size)
        (raftPorts, clientPorts) = (Array(ports[..<size]), Array(ports[size...]))
        processes = Array(repeating: nil, count: size)
    }

    var peers: String { (0..<size).map { "\($0 + 1)=127.0.0.1:\(raftPorts[$0])" }.joined(separator: ",") }

    /// Starts member `slot` (id `slot + 1`) and waits until it accepts clients.
    func start(_ slot: Int) throws {
        let process = Process()
        process.executableURL = Self.executable
        process.arguments = ["--id", "\(slot + 1)", "--data", root.appendingPathComponent("\(slot + 1)").path, "--peers", peers,
                             "--listen", "127.0.0.1:\(clientPorts[slot])", "--tick-ms", "20", "--election-ticks", "10",
                             "--snapshot-every", "200", "--timeout-ms", "1500"]
        process.standardOutput = FileHandle(forWritingAtPath: "/dev/null")
        let log = root.appendingPathComponent("\(slot + 1).stderr")
        if !FileManager.default.fileExists(atPath: log.path) { _ = FileManager.default.createFile(atPath: log.path, contents: nil) }
        let err = try FileHandle(forWritingTo: log)
        err.seekToEndOfFile()
        process.standardError = err
        try process.run()
        lock.withLock { processes[slot] = process }
        for _ in 0..<500 {
            if (try? Client(port: clientPorts[slot]).ask("STATS", timeout: 1)) != nil { return }
            guard process.isRunning else { break }
            usleep(10_000)
        }
        throw Failure(description: "member \(slot + 1) did not start: \((try? String(contentsOf: log, encoding: .utf8)) ?? "")")
    }

    /// SIGKILL: no chance to flush anything not already synced.
    func kill(_ slot: Int) {
        guard let process = lock.withLock({ processes[slot] }) else { return }
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        lock.withLock { processes[slot] = nil }
    }

    func isRunning(_ slot: Int) -> Bool { lock.withLock { processes[slot] != nil } }

    func stopAll() {
        for slot in 0..<size { kill(slot) }
        try? FileManager.default.removeItem(at: root)
    }

    /// Whatever a member wrote to stderr.
    func stderr(_ slot: Int) -> String { (try? String(contentsOf: root.appendingPathComponent("\(slot + 1).stderr"), encoding: .utf8)) ?? "" }

    struct Failure: Error, CustomStringConvertible { let description: String }

    /// Ports the kernel hands out as free now (bound to port 0, then closed).
    static func freePorts(_ count: Int) throws -> [Int] {
        var sockets: [Int32] = []
        defer { sockets.forEach { close($0) } }
        return try (0..<count).map { _ in
            let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            sockets.append(fd)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            address.sin_port = 0
            var length = socklen_t(MemoryLayout<sockaddr_in>.size)
            let bound = withUnsafeMutablePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
            }
            guard bound else { throw Failure(description: "no free port") }
            return Int(UInt16(bigEndian: address.sin_port))
        }
    }
}

/// A blocking line-protocol client with a receive timeout.
final class Client {
    /// The socket; -1 once closed. Closed exactly once: a descriptor closed twice may by then
    /// be another client's socket, whose answers would then cross with this one's.
    private var fd: Int32
    private var buffer: [UInt8] = []

    init(port: Int) throws {
        fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        address.sin_port = UInt16(port).bigEndian
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) == 0 }
        }
        guard connected else {
            close(fd)
            fd = -1  // A class whose init throws once initialized is deinitialized too.
            throw KVCluster.Failure(description: "cannot connect to \(port)")
        }
    }

    deinit { if fd >= 0 { close(fd) } }

    /// Sends one request and returns the answer line; throws on a closed connection or when no
    /// answer came within `timeout` seconds.
    func ask(_ line: String, timeout: Int) throws -> String {
        var limit = timeval(tv_sec: timeout, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &limit, socklen_t(MemoryLayout<timeval>.size))
        let bytes = Array((line + "\n").utf8)
        guard bytes.withUnsafeBytes({ send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }) == bytes.count else {
            throw KVCluster.Failure(description: "send failed")
        }
        while true {
            if let newline = buffer.firstIndex(of: UInt8(ascii: "\n")) {
                let answer = String(decoding: buffer[..<newline], as: UTF8.self)
                buffer.removeSubrange(...newline)
                return answer
            }
            var chunk = [UInt8](repeating: 0, count: 4096)
            let n = chunk.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { throw KVCluster.Failure(description: "no answer") }
            buffer += chunk[..<n]
        }
    }
}
