import Foundation
import Testing
import RaftCheckFiles
import RaftSpecModel

/// raft-tla traces: real, replayable traces of raft.tla's actions, shown as text and ITF.
@Suite struct RaftTLATraceTests {
    typealias CLI = CommandLineTests

    static func voteRequest(_ from: Int, _ to: Int) -> [String: Any] {
        ["mtype": "RequestVoteRequest", "mterm": 2, "msource": from, "mdest": to, "mlastLogTerm": 0, "mlastLogIndex": 0]
    }

    static func voteResponse(_ from: Int, _ to: Int) -> [String: Any] {
        ["mtype": "RequestVoteResponse", "mterm": 2, "msource": from, "mdest": to, "mvoteGranted": true, "mlog": [Any]()]
    }

    /// s1 times out, wins s1's and s2's votes, becomes leader and takes a request (raft.tla's
    /// actions, MCraft's tiny bounds).
    nonisolated(unsafe) static let events: [[String: Any]] = [
        ["action": "Timeout", "server": 1], ["action": "RequestVote", "server": 1, "peer": 1],
        ["action": "Receive", "message": voteRequest(1, 1)], ["action": "Receive", "message": voteResponse(1, 1)],
        ["action": "RequestVote", "server": 1, "peer": 2], ["action": "Receive", "message": voteRequest(1, 2)],
        ["action": "Receive", "message": voteRequest(1, 2)], ["action": "Receive", "message": voteResponse(2, 1)],
        ["action": "BecomeLeader", "server": 1], ["action": "ClientRequest", "server": 1, "value": 1],
    ]

    static func write(_ events: [[String: Any]], in dir: URL, name: String = "leader.json") throws -> String {
        let spec: [String: Any] = ["model": "raft-tla", "name": "tla-tiny", "servers": 3, "values": 1, "max_term": 2, "max_log": 1,
                                   "max_messages": 1, "max_duplicates": 1, "symmetry": false, "history": true]
        let trace: [String: Any] = ["format": "raftcheck-trace", "version": 2, "tool": "test", "spec": spec, "events": events]
        let path = dir.appendingPathComponent(name).path
        try JSONSerialization.data(withJSONObject: trace, options: [.sortedKeys]).write(to: URL(fileURLWithPath: path))
        return path
    }

    @Test func replaysAndShows() throws {
        let dir = try CLI.temporaryDirectory()
        let trace = try Self.write(Self.events, in: dir)
        let replay = try CLI.run(["replay", trace])
        #expect(replay.status == 0, "\(replay.output)\(replay.error)")
        #expect(replay.output.contains("9. BecomeLeader(s1)\n   s1 Leader t2"))
        #expect(replay.output.hasSuffix("clean: no property violated in 10 events\n"))

        let itf = dir.appendingPathComponent("leader.itf.json").path
        #expect(try CLI.run(["show", trace, "--format", "itf", "-o", itf]).status == 0)
        #expect(try TraceFormatsTests.validateITF(itf).status == 0)
        let states = try CLI.json(itf)["states"] as! [[String: Any]]
        #expect(states.count == 11)
        let roles = (states[10]["state"] as! [String: Any])["#map"] as! [[Any]]
        #expect(roles.map { $0[1] as! String } == ["Leader", "Follower", "Follower"])
        let fromITF = try CLI.run(["replay", itf])
        #expect(fromITF.output.split(separator: "\n").dropFirst() == replay.output.split(separator: "\n").dropFirst())
        #expect(try CLI.run(["show", itf, "--format", "itf"]).output == (try String(contentsOfFile: itf, encoding: .utf8)))
        #expect(try CLI.run(["show", trace, "--format", "html"]).status == 2)
    }

    /// What `check` writes for a raft-tla counterexample reads back as the same actions.
    @Test func writtenTracesReadBack() throws {
        let dir = try CLI.temporaryDirectory()
        guard case .raftTLA(let trace, let actions) = try TraceFile.readAny(try Self.write(Self.events, in: dir)) else {
            Issue.record("not read as a raft-tla trace")
            return
        }
        let path = dir.appendingPathComponent("again.json").path
        try TraceFile.write(RaftTLATrace(tool: "test", spec: trace.spec, actions: actions, violation: nil), to: path)
        guard case .raftTLA(_, let again) = try TraceFile.readAny(path) else {
            Issue.record("not read back as a raft-tla trace")
            return
        }
        #expect(again == actions)
    }

    @Test func badTracesExit2Or4() throws {
        let dir = try CLI.temporaryDirectory()
        var bad = Self.events
        var message = Self.voteRequest(1, 1)
        message["mterm"] = 99
        bad[2] = ["action": "Receive", "message": message]
        let badTerm = try CLI.run(["replay", try Self.write(bad, in: dir, name: "bad.json")])
        #expect(badTerm.status == 2)
        #expect(badTerm.error.contains("events[2].message.mterm"), "\(badTerm.error)")
        bad[2] = ["action": "Elect", "server": 1]
        let unknown = try CLI.run(["replay", try Self.write(bad, in: dir, name: "bad.json")])
        #expect(unknown.status == 2)
        #expect(unknown.error.contains("unknown action 'Elect'"), "\(unknown.error)")
        bad[2] = ["action": "BecomeLeader", "server": 4]
        let server = try CLI.run(["replay", try Self.write(bad, in: dir, name: "bad.json")])
        #expect(server.status == 2)
        #expect(server.error.contains("events[2].server"), "\(server.error)")
        let diverged = try CLI.run(["replay", try Self.write([["action": "BecomeLeader", "server": 1]], in: dir, name: "diverged.json")])
        #expect(diverged.status == 4, "\(diverged.output)")
    }
}
