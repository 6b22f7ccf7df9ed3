import Foundation
import RaftCore
import Testing

/// Three `raftkv` processes on 127.0.0.1 under a concurrent client load, while members are
/// killed with SIGKILL and restarted and their connections cut. Afterwards every acknowledged
/// write is there, and the whole client history (invocations and answers with real times) is
/// linearizable. Runs for `RAFTKV_CHAOS_SECONDS` (default 60).
@Suite(.serialized) struct ChaosTests {
    typealias Op = Linearizability.Operation

    /// What the clients saw, shared between their threads.
    final class Record: @unchecked Sendable {
        private let lock = NSLock()
        private(set) var history: [Op] = []
        /// Unique keys written once, whose write was acknowledged.
        private(set) var acknowledgedOnce: [String] = []
        private(set) var errors: [String] = []
        /// Writes answered as not carried out (`NOTLEADER`, `DROPPED`): not in the history, but
        /// written out with a failing key's history.
        private(set) var refused: [(Op, String)] = []
        private(set) var counts: [String: Int] = [:]

        func add(_ op: Op) { lock.withLock { history.append(op) } }
        func acknowledged(once key: String) { lock.withLock { acknowledgedOnce.append(key) } }
        func error(_ text: String) { lock.withLock { errors.append(text) } }
        func refused(_ op: Op, _ answer: String) { lock.withLock { refused.append((op, answer)) } }
        /// Every request and its answer, by client: `client op invoked answered request → answer`.
        private(set) var log: [String] = []
        func log(_ line: String) { lock.withLock { log.append(line) } }
        func count(_ what: String) { lock.withLock { counts[what, default: 0] += 1 } }
    }

    static func now() -> UInt64 { DispatchTime.now().uptimeNanoseconds }

    static let sharedKeys = (0..<10).map { "k\($0)" }

    /// One client: requests one at a time to the member it believes leads.
    static func client(_ number: Int, cluster: KVCluster, record: Record, until deadline: UInt64) {
        var rng = SplitMix64(seed: UInt64(number) + 100)
        var target = Int(rng.next(below: UInt64(cluster.size)))
        var connection: Client?
        var written = 0
        /// The last value this client saw for each key: what its compare-and-sets expect.
        var seen: [String: String] = [:]
        while now() < deadline {
            let key = sharedKeys[Int(rng.next(below: UInt64(sharedKeys.count)))]
            let roll = rng.next(below: 100)
            written += 1
            let value = "c\(number)-\(written)"
            let (line, opKey, opKind): (String, String, Op.Kind) = switch roll {
            case 0..<35: ("PUT \(key) \(value)", key, .put(value))
            case 35..<50: ("CAS \(key) \(seen[key] ?? "none") \(value)", key, .cas(expected: seen[key] ?? "none", new: value))
            case 50..<85: ("GET \(key)\(roll < 60 ? " consistent" : "")", key, .get)
            default: ("PUT u\(number)-\(written) v", "u\(number)-\(written)", .put("v"))
            }
            let invoked = now()
            var answer: String?
            do {
                if connection == nil { connection = try Client(port: cluster.clientPorts[target]) }
                answer = try connection!.ask(line, timeout: 3)
            } catch {
                connection = nil
                target = Int(rng.next(below: UInt64(cluster.size)))
            }
            let answered = now()
            record.log("c\(number) \(written) \(invoked) \(answered) \(line) → \(answer ?? "(none)")")
            func add(_ outcome: Op.Outcome) { record.add(Op(key: opKey, kind: opKind, outcome: outcome, invoked: invoked, answered: answered)) }
            switch answer {
            case nil, "UNKNOWN":
                record.count("unknown")
                if opKind != .get { add(.unknown) }  // A read with no answer changed nothing.
            case let text? where text.hasPrefix("NOTLEADER"):
                record.count("not leader")
                if opKind != .get { record.refused(Op(key: opKey, kind: opKind, outcome: .unknown, invoked: invoked, answered: answered), text) }
                let leader = Int(text.split(separator: " ")[1]) ?? 0
                if leader > 0 { target = leader - 1 } else { usleep(20_000) }
                if leader > 0 { connection = nil }
            case "DROPPED":
                record.count("dropped")
                if opKind != .get { record.refused(Op(key: opKey, kind: opKind, outcome: .unknown, invoked: invoked, answered: answered), "DROPPED") }
            case "OK":
                record.count("ok")
                add(.ok)
                if case .put(let v) = opKind { seen[opKey] = v }
                if case .cas(_, let v) = opKind { seen[opKey] = v }
                if opKey.hasPrefix("u") { record.acknowledged(once: opKey) }
            case let text? where text.hasPrefix("MISMATCH"):
                record.count("mismatch")
                add(.mismatch)
            case let text? where text.hasPrefix("VALUE "):
                record.count("read")
                add(.value(String(text.dropFirst(6))))
                seen[opKey] = String(text.dropFirst(6))
            case "NONE":
                record.count("read")
                add(.value(nil))
            case let text?:
                record.error("\(line) → \(text)")
            }
        }
    }

    @Test func killsAndCutsUnderLoad() throws {
        let seconds = UInt64(ProcessInfo.processInfo.environment["RAFTKV_CHAOS_SECONDS"].flatMap(Int.init) ?? 60)
        let cluster = try KVCluster(size: 3)
        defer { cluster.stopAll() }
        for slot in 0..<3 { try cluster.start(slot) }
        let record = Record()
        let deadline = Self.now() + seconds * 1_000_000_000
        let clients = (0..<4).map { number in
            let thread = Thread { Self.client(number, cluster: cluster, record: record, until: deadline) }
            thread.start()
            return thread
        }

        // Faults, seeded: a kill -9 and a restart a little later, or cut connections.
        var rng = SplitMix64(seed: 7)
        var (kills, cuts) = (0, 0)
        while Self.now() < deadline {
            usleep(UInt32(1_000_000 + rng.next(below: 2_000_000)))
            let slot = Int(rng.next(below: 3))
            if rng.next(below: 3) < 2 {
                cluster.kill(slot)
                kills += 1
                usleep(UInt32(300_000 + rng.next(below: 1_500_000)))
                try cluster.start(slot)
            } else {
                _ = try? Client(port: cluster.clientPorts[slot]).ask("CUT", timeout: 2)
                cuts += 1
            }
        }
        while clients.contains(where: { !$0.isFinished }) { usleep(50_000) }

        // Settled: every member up; a leader takes a write; every key is read through it.
        var leaderPort: Int?
        for _ in 0..<300 where leaderPort == nil {
            for port in cluster.clientPorts where leaderPort == nil {
                if (try? Client(port: port).ask("PUT settled yes", timeout: 3)) == "OK" { leaderPort = port }
            }
            if leaderPort == nil { usleep(100_000) }
        }
        let port = try #require(leaderPort, "no leader after the faults: \((0..<3).map(cluster.stderr))")
        let reader = try Client(port: port)
        for key in Self.sharedKeys {
            let invoked = Self.now()
            let answer = try reader.ask("GET \(key) consistent", timeout: 3)
            let value: String? = answer.hasPrefix("VALUE ") ? String(answer.dropFirst(6)) : nil
            #expect(answer.hasPrefix("VALUE ") || answer == "NONE", "\(answer)")
            record.add(Op(key: key, kind: .get, outcome: .value(value), invoked: invoked, answered: Self.now()))
        }
        var lost: [String] = []
        for key in record.acknowledgedOnce where try reader.ask("GET \(key) consistent", timeout: 3) != "VALUE v" { lost.append(key) }

        #expect(record.errors.isEmpty, "\(record.errors.prefix(5))")
        #expect(lost.isEmpty, "acknowledged writes missing: \(lost.prefix(10))")
        if let key = Linearizability.check(record.history) {
            // The key's history, for a reader: one operation a line, by invocation.
            let path = FileManager.default.temporaryDirectory.appendingPathComponent("raftkv-chaos-\(key).txt")
            let answered = record.history.filter { $0.key == key }
                .map { ($0.invoked, "\($0.invoked) \($0.outcome == .unknown ? "-" : String($0.answered)) \($0.kind) \($0.outcome)") }
            let refused = record.refused.filter { $0.0.key == key }
                .map { ($0.0.invoked, "\($0.0.invoked) \($0.0.answered) \($0.0.kind) refused: \($0.1)") }
            let lines = (answered + refused).sorted { $0.0 < $1.0 }.map(\.1)
            try lines.joined(separator: "\n").write(to: path, atomically: true, encoding: .utf8)
            let all = FileManager.default.temporaryDirectory.appendingPathComponent("raftkv-chaos-requests.txt")
            try record.log.joined(separator: "\n").write(to: all, atomically: true, encoding: .utf8)
            Issue.record("key \(key): the history is not linearizable (\(path.path); every request: \(all.path))")
        }
        // The run did real work under real faults.
        let counts = record.counts
        print("chaos: \(seconds) s, \(kills) kills, \(cuts) cuts, \(record.history.count) operations, \(counts.sorted { $0.key < $1.key })")
        #expect(kills + cuts > 0 && (counts["ok"] ?? 0) >= 100 && (counts["read"] ?? 0) >= 100, "\(counts)")
    }
}
