import Foundation
import Testing
@testable import RaftCore

/// etcd-io/raft's own data-driven test data for quorums and configuration changes, read at
/// test time from `$RAFTCHECK_SHARED/conformance/etcd-raft`, else from `shared/` beside this
/// repository, else beside the repository a local clone was made from (a CI clone in /tmp),
/// run against our quorum and membership code. Answers are compared by meaning: the vote
/// result, the committed index, the configuration sets, each progress's match, next and
/// learner flag, and the error.
@Suite struct EtcdConformanceTests {
    static var dataDirectory: URL {
        let data = "conformance/etcd-raft"
        if let shared = ProcessInfo.processInfo.environment["RAFTCHECK_SHARED"] {
            return URL(fileURLWithPath: shared).appendingPathComponent(data)
        }
        let repository = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let beside = repository.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(data)
        guard !FileManager.default.fileExists(atPath: beside.path), let origin = localOrigin(of: repository) else { return beside }
        return origin.deletingLastPathComponent().appendingPathComponent("shared").appendingPathComponent(data)
    }

    /// The directory `repository` was cloned from, if its `origin` remote is a local path.
    static func localOrigin(of repository: URL) -> URL? {
        guard let config = try? String(contentsOf: repository.appendingPathComponent(".git/config"), encoding: .utf8) else { return nil }
        var inOrigin = false
        for line in config.split(separator: "\n").map({ $0.trimmingCharacters(in: .whitespaces) }) {
            if line.hasPrefix("[") { inOrigin = line == "[remote \"origin\"]"; continue }
            if inOrigin, line.hasPrefix("url = /") { return URL(fileURLWithPath: String(line.dropFirst("url = ".count))).standardizedFileURL }
        }
        return nil
    }

    /// Blocks our design leaves out on purpose, by command argument, with the reason.
    static let unsupported: [(argument: String, reason: String)] = [
        ("group", "group commit is an etcd extension this core does not implement"),
    ]

    struct Outcome {
        var passed = 0
        var skipped: [String] = []
        var failures: [String] = []
    }

    @Test func etcdDataDrivenSuite() throws {
        let root = Self.dataDirectory
        guard FileManager.default.fileExists(atPath: root.path) else {
            Issue.record("etcd conformance data not found at \(root.path): the suite needs shared/ beside the repository (or RAFTCHECK_SHARED)")
            return
        }
        var outcome = Outcome()
        var total = 0
        for folder in ["quorum", "confchange"] {
            let directory = root.appendingPathComponent(folder)
            let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter { $0.hasSuffix(".txt") }.sorted()
            for name in files {
                let text = try String(contentsOf: directory.appendingPathComponent(name), encoding: .utf8)
                let blocks = try DataDriven.parse(text, file: "\(folder)/\(name)")
                total += blocks.count
                if folder == "quorum" {
                    for block in blocks { Self.runQuorum(block, into: &outcome) }
                } else {
                    Self.runConfChanges(blocks, into: &outcome)
                }
            }
        }
        print("etcd conformance: \(outcome.passed) passed, \(outcome.failures.count) failed, \(outcome.skipped.count) skipped")
        for skip in outcome.skipped { print("  skipped \(skip)") }
        for failure in outcome.failures { Issue.record("\(failure)") }
        // Every block of the suite was read and answered (a parser that lost blocks would pass
        // fewer without failing any).
        #expect(total == 185)
        #expect(outcome.passed + outcome.skipped.count == total)
    }

    // MARK: Quorum

    static func runQuorum(_ block: DataDrivenBlock, into outcome: inout Outcome) {
        if let skip = unsupported.first(where: { block.values($0.argument) != nil }) {
            outcome.skipped.append("\(block.location): \(skip.reason)")
            return
        }
        let ids = (block.values("cfg") ?? []).map { NodeID(UInt64($0)!) }
        let jointValues = block.values("cfgj")
        let idsJ = jointValues == ["zero"] ? [] : (jointValues ?? []).map { NodeID(UInt64($0)!) }
        // Inputs are listed for the voters of cfg, then those of cfgj not already listed.
        var order: [NodeID] = []
        for id in ids + idsJ where !order.contains(id) { order.append(id) }
        let majority = MajorityConfig(ids)
        let joint = JointConfig(incoming: majority, outgoing: MajorityConfig(idsJ))

        let answer: String
        let expected: String
        switch block.command {
        case "vote":
            let votes = block.values("votes") ?? []
            let lookup = { (id: NodeID) -> Bool? in
                guard let at = order.firstIndex(of: id), at < votes.count else { return nil }
                return votes[at] == "y" ? true : votes[at] == "n" ? false : nil
            }
            let result = jointValues == nil ? majority.voteResult(votes: lookup) : joint.voteResult(votes: lookup)
            answer = switch result {
            case .won: "VoteWon"
            case .lost: "VoteLost"
            case .pending: "VotePending"
            }
            expected = block.expected.last ?? ""
        case "committed":
            let indexes = block.values("idx") ?? []
            let lookup = { (id: NodeID) -> LogIndex? in
                guard let at = order.firstIndex(of: id), at < indexes.count, let value = UInt64(indexes[at]), value > 0 else { return nil }
                return LogIndex(value)
            }
            let index = jointValues == nil ? majority.committedIndex(acked: lookup) : joint.committedIndex(acked: lookup)
            answer = index == .infinity ? "∞" : "\(index)"
            let last = block.expected.last ?? ""
            expected = last.hasSuffix("∞") ? "∞" : last
        default:
            outcome.failures.append("\(block.location): unknown command \(block.command)")
            return
        }
        if answer == expected {
            outcome.passed += 1
        } else {
            outcome.failures.append("\(block.location): \(block.command) answered \(answer), etcd expects \(expected)")
        }
    }

    // MARK: Configuration changes

    /// What a block's output says: the configuration and progresses, or an error.
    struct ConfAnswer: Equatable, CustomStringConvertible {
        var error: String?
        var incoming: [UInt64] = []
        var outgoing: [UInt64] = []
        var learners: [UInt64] = []
        var learnersNext: [UInt64] = []
        var autoLeave = false
        var progresses: [String] = []

        var description: String {
            if let error { return "error \(error)" }
            return "voters=\(incoming)&&\(outgoing) learners=\(learners) next=\(learnersNext) autoleave=\(autoLeave) \(progresses)"
        }

        init(error: String) { self.error = error }

        init(_ tracker: ProgressTracker) {
            let config = tracker.config
            incoming = config.voters.incoming.voters.map(\.rawValue)
            outgoing = config.voters.outgoing.voters.map(\.rawValue)
            learners = config.learners.map(\.rawValue)
            learnersNext = config.learnersNext.map(\.rawValue)
            autoLeave = config.autoLeave
            progresses = zip(tracker.ids, tracker.progresses).map { id, p in
                "\(id) \(p.state) match=\(p.match) next=\(p.next)\(p.isLearner ? " learner" : "")"
            }
        }

        /// Reads etcd's rendering: `voters=(1 2)&&(1) learners=(3) learners_next=(4) autoleave`
        /// and lines `1: StateProbe match=0 next=1 learner`.
        init(expected lines: [String]) {
            guard let first = lines.first, first.hasPrefix("voters=") else {
                error = lines.joined(separator: "\n")
                return
            }
            func ids(_ text: Substring) -> [UInt64] {
                text.trimmingCharacters(in: CharacterSet(charactersIn: "()")).split(separator: " ").compactMap { UInt64($0) }
            }
            for field in DataDriven.words(first).map({ Substring($0) }) {
                if field.hasPrefix("voters=") {
                    let halves = field.dropFirst("voters=".count).components(separatedBy: "&&")
                    incoming = ids(Substring(halves[0]))
                    if halves.count > 1 { outgoing = ids(Substring(halves[1])) }
                } else if field.hasPrefix("learners_next=") {
                    learnersNext = ids(field.dropFirst("learners_next=".count))
                } else if field.hasPrefix("learners=") {
                    learners = ids(field.dropFirst("learners=".count))
                } else if field == "autoleave" {
                    autoLeave = true
                }
            }
            progresses = lines.dropFirst().map { line in
                let words = line.split(separator: " ")
                let state = words[1] == "StateProbe" ? "probe" : words[1] == "StateReplicate" ? "replicate" : "snapshot"
                return "\(words[0].dropLast()) \(state) \(words[2]) \(words[3])\(words.count > 4 && words[4] == "learner" ? " learner" : "")"
            }
        }
    }

    /// Runs one file's blocks in order on one tracker; the last index grows by one per block, as
    /// in etcd's harness (new progresses start at `max(lastIndex, 1)`).
    static func runConfChanges(_ blocks: [DataDrivenBlock], into outcome: inout Outcome) {
        var tracker = ProgressTracker(config: TrackerConfig(), maxInflight: 10)
        for (round, block) in blocks.enumerated() {
            let lastIndex = LogIndex(UInt64(round))
            var changes: [ConfChangeSingle] = []
            for word in block.input.flatMap({ $0.split(separator: " ") }) {
                guard let kindCode = word.first, let node = UInt64(word.dropFirst()) else {
                    outcome.failures.append("\(block.location): unreadable change \(word)")
                    continue
                }
                let kind: ConfChangeSingle.Kind? = switch kindCode {
                case "v": .addVoter
                case "l": .addLearner
                case "r": .remove
                case "u": .update
                default: nil
                }
                guard let kind else {
                    outcome.failures.append("\(block.location): unknown change \(word)")
                    continue
                }
                changes.append(ConfChangeSingle(kind, NodeID(node)))
            }
            guard ["simple", "enter-joint", "leave-joint"].contains(block.command) else {
                outcome.failures.append("\(block.location): unknown command \(block.command)")
                continue
            }
            let answer: ConfAnswer
            do throws(ConfChangeError) {
                switch block.command {
                case "simple": tracker = try tracker.applyingSimple(changes, lastIndex: lastIndex)
                case "enter-joint":
                    tracker = try tracker.enteringJoint(changes, autoLeave: block.values("autoleave") == ["true"], lastIndex: lastIndex)
                default: tracker = try tracker.leavingJoint()
                }
                answer = ConfAnswer(tracker)
            } catch {
                answer = ConfAnswer(error: error.description)
            }
            let expected = ConfAnswer(expected: block.expected)
            if answer == expected {
                outcome.passed += 1
            } else {
                outcome.failures.append("\(block.location): \(block.command) gave \(answer), etcd expects \(expected)")
            }
        }
    }
}
