import Foundation
import RaftExplorer
import RaftSim
import RaftSpecModel
import Yams

/// What a spec file describes: the RaftCore cluster (the default), or Ongaro's raft.tla.
public enum CheckSpec {
    case cluster(Spec)
    case raftTLA(RaftTLASpec)

    public var isCluster: Bool { if case .cluster = self { true } else { false } }
}

/// Reads a spec from YAML (format: specs/README.md). Every unknown key, wrong type or invalid
/// value is an `InputError` naming the file, line and key; nothing falls back to a default
/// silently.
public struct SpecLoader {
    let file: String
    private var marks: [String: Mark] = [:]

    public static func load(path: String) throws(InputError) -> CheckSpec {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw InputError(file: path, message: "cannot read the file")
        }
        guard let text = String(data: data, encoding: .utf8) else {
            throw InputError(file: path, message: "not UTF-8 text")
        }
        return try parse(text, file: path)
    }

    public static func parse(_ text: String, file: String) throws(InputError) -> CheckSpec {
        var loader = SpecLoader(file: file)
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw loader.yamlError(error)
        } catch {
            throw InputError(file: file, message: "\(error)")
        }
        guard let root else { throw InputError(file: file, message: "empty spec") }
        if case .mapping(let mapping) = root, let model = mapping["model"] {
            switch try loader.scalar(model, "model", "a model name") {
            case "cluster": break
            case "raft-tla":
                var spec = RaftTLASpec()
                try loader.readTLA(root, into: &spec)
                try loader.check(spec.problems())
                return .raftTLA(spec)
            case let other:
                throw loader.fail(model, "model", "expected cluster or raft-tla, got '\(other)'")
            }
        }
        var spec = Spec()
        try loader.read(root, into: &spec)
        try loader.check(spec.problems())
        return .cluster(spec)
    }

    /// Throws the first problem, located at its key.
    private func check(_ problems: [(field: String, message: String)]) throws(InputError) {
        guard let problem = problems.first else { return }
        let mark = marks[problem.field]
        throw InputError(file: file, line: mark?.line, column: mark?.column, field: problem.field, message: problem.message)
    }

    private func yamlError(_ error: YamlError) -> InputError {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            return InputError(file: file, line: mark.line, column: mark.column, message: "YAML: \(problem)")
        case let .duplicatedKeysInMapping(duplicates, context):
            return InputError(file: file, line: context.mark.line, column: context.mark.column,
                              message: "YAML: duplicate keys \(duplicates.map { "'\($0)'" }.joined(separator: ", "))")
        default:
            // Yams's other descriptions quote the document after the first line.
            return InputError(file: file, message: "YAML: \(String(describing: error).prefix { $0 != "\n" })")
        }
    }

    private func fail(_ node: Node?, _ field: String, _ message: String) -> InputError {
        InputError(file: file, line: node?.mark?.line, column: node?.mark?.column, field: field, message: message)
    }

    /// The key/value pairs of a mapping, in document order; keys must be distinct strings.
    private mutating func pairs(_ node: Node, _ field: String) throws(InputError) -> [(String, Node)] {
        guard case .mapping(let mapping) = node else { throw fail(node, field, "expected a mapping") }
        var result: [(String, Node)] = []
        for (key, value) in mapping {
            guard case .scalar(let scalar) = key else { throw fail(key, field, "keys must be plain words") }
            let path = field.isEmpty ? scalar.string : "\(field).\(scalar.string)"
            if result.contains(where: { $0.0 == scalar.string }) { throw fail(key, path, "duplicate key") }
            marks[path] = key.mark
            result.append((scalar.string, value))
        }
        return result
    }

    private func scalar(_ node: Node, _ field: String, _ expected: String) throws(InputError) -> String {
        guard case .scalar(let scalar) = node else { throw fail(node, field, "expected \(expected)") }
        return scalar.string
    }

    /// A number or boolean is a plain scalar: `"3"` is a string, not 3.
    private func plain(_ node: Node, _ field: String, _ expected: String) throws(InputError) -> String {
        let text = try scalar(node, field, expected)
        if case .scalar(let scalar) = node, scalar.style != .plain, scalar.style != .any {
            throw fail(node, field, "expected \(expected), got the quoted string '\(text)'")
        }
        return text
    }

    private func int(_ node: Node, _ field: String) throws(InputError) -> Int {
        let text = try plain(node, field, "an integer")
        guard let value = Int(text) else { throw fail(node, field, "expected an integer, got '\(text)'") }
        return value
    }

    private func uint(_ node: Node, _ field: String) throws(InputError) -> UInt64 {
        let text = try plain(node, field, "a non-negative integer")
        guard let value = UInt64(text) else { throw fail(node, field, "expected a non-negative integer, got '\(text)'") }
        return value
    }

    private func bool(_ node: Node, _ field: String) throws(InputError) -> Bool {
        let text = try plain(node, field, "true or false")
        switch text {
        case "true": return true
        case "false": return false
        default: throw fail(node, field, "expected true or false, got '\(text)'")
        }
    }

    private func double(_ node: Node, _ field: String) throws(InputError) -> Double {
        let text = try plain(node, field, "a number")
        guard let value = Double(text), value.isFinite else { throw fail(node, field, "expected a number, got '\(text)'") }
        return value
    }

    private func choice<T: RawRepresentable & CaseIterable>(_ node: Node, _ field: String, _ type: T.Type) throws(InputError) -> T where T.RawValue == String {
        let text = try scalar(node, field, "one of \(T.allCases.map(\.rawValue).joined(separator: ", "))")
        guard let value = T(rawValue: text) else {
            throw fail(node, field, "expected one of \(T.allCases.map(\.rawValue).joined(separator: ", ")), got '\(text)'")
        }
        return value
    }

    private func unknown(_ node: Node, _ field: String, _ known: [String]) -> InputError {
        fail(node, field, "unknown key (known: \(known.joined(separator: ", ")))")
    }

    private mutating func read(_ root: Node, into spec: inout Spec) throws(InputError) {
        let known = ["model", "name", "nodes", "voters", "raft", "events", "bounds", "properties", "symmetry", "mutation", "search", "fuzz",
                     "liveness"]
        for (key, value) in try pairs(root, "") {
            switch key {
            case "model": break
            case "name": spec.name = try scalar(value, key, "a name")
            case "nodes": spec.nodes = try int(value, key)
            case "voters": spec.voters = try int(value, key)
            case "symmetry": spec.symmetry = try bool(value, key)
            case "mutation": spec.mutation = try scalar(value, key, "a mutation name")
            case "properties":
                guard case .sequence(let items) = value else { throw fail(value, key, "expected a list of property names") }
                var names: [String] = []
                for item in items { names.append(try scalar(item, key, "a property name")) }
                spec.properties = names
            case "raft": try readRaft(value, &spec.raft)
            case "events": try readEvents(value, &spec.events)
            case "bounds": try readBounds(value, &spec.bounds)
            case "search": try readSearch(value, &spec.search)
            case "fuzz": try readFuzz(value, &spec.fuzz)
            case "liveness":
                var liveness = Spec.Liveness()
                try readLiveness(value, &liveness)
                spec.liveness = liveness
            default: throw unknown(value, key, known)
            }
        }
    }

    private mutating func readRaft(_ node: Node, _ raft: inout Spec.RaftOptions) throws(InputError) {
        let known = ["pre_vote", "check_quorum", "election_ticks", "heartbeat_ticks", "max_inflight", "max_size_per_message", "seed", "read_only", "clock_drift",
                     "step_down_on_removal", "max_committed_size_per_ready", "disable_proposal_forwarding"]
        for (key, value) in try pairs(node, "raft") {
            let field = "raft.\(key)"
            switch key {
            case "pre_vote": raft.preVote = try bool(value, field)
            case "check_quorum": raft.checkQuorum = try bool(value, field)
            case "election_ticks": raft.electionTicks = try int(value, field)
            case "heartbeat_ticks": raft.heartbeatTicks = try int(value, field)
            case "max_inflight": raft.maxInflight = try int(value, field)
            case "max_size_per_message": raft.maxSizePerMessage = try uint(value, field)
            case "seed": raft.seed = try uint(value, field)
            case "read_only": raft.readOnly = try choice(value, field, Spec.ReadMode.self)
            case "clock_drift": raft.clockDrift = try int(value, field)
            case "step_down_on_removal": raft.stepDownOnRemoval = try bool(value, field)
            case "max_committed_size_per_ready": raft.maxCommittedSizePerReady = try uint(value, field)
            case "disable_proposal_forwarding": raft.disableProposalForwarding = try bool(value, field)
            default: throw unknown(value, field, known)
            }
        }
    }

    private mutating func readEvents(_ node: Node, _ events: inout Spec.EventOptions) throws(InputError) {
        let flags: [(String, WritableKeyPath<Spec.EventOptions, Bool>)] = [
            ("deliver", \.deliver), ("drop", \.drop), ("duplicate", \.duplicate), ("tick", \.tick),
            ("timeout", \.timeout), ("heartbeat", \.heartbeat), ("crash", \.crash), ("restart", \.restart),
            ("propose", \.propose), ("read", \.read), ("reconfigure", \.reconfigure), ("partition", \.partition),
            ("compact", \.compact), ("async_apply", \.asyncApply), ("transfer", \.transfer), ("unreachable", \.unreachable),
            ("joint", \.joint), ("any_change", \.anyChange), ("forward", \.forward),
        ]
        for (key, value) in try pairs(node, "events") {
            let field = "events.\(key)"
            if key == "ready_steps" {
                events.readySteps = try choice(value, field, Spec.ReadySteps.self)
            } else if let flag = flags.first(where: { $0.0 == key }) {
                events[keyPath: flag.1] = try bool(value, field)
            } else {
                throw unknown(value, field, flags.map(\.0) + ["ready_steps"])
            }
        }
    }

    private mutating func readBounds(_ node: Node, _ bounds: inout Spec.Bounds) throws(InputError) {
        let counts: [(String, WritableKeyPath<Spec.Bounds, Int>)] = [
            ("max_proposals", \.maxProposals), ("max_in_flight", \.maxInFlight), ("max_crashes", \.maxCrashes),
            ("max_restarts", \.maxRestarts), ("max_drops", \.maxDrops), ("max_duplicates", \.maxDuplicates),
            ("max_partitions", \.maxPartitions), ("max_reads", \.maxReads), ("max_conf_changes", \.maxConfChanges),
            ("max_compactions", \.maxCompactions), ("max_transfers", \.maxTransfers), ("max_unreachable", \.maxUnreachable),
        ]
        for (key, value) in try pairs(node, "bounds") {
            let field = "bounds.\(key)"
            if key == "max_term" {
                bounds.maxTerm = try uint(value, field)
            } else if key == "max_depth" {
                bounds.maxDepth = try int(value, field)
            } else if let count = counts.first(where: { $0.0 == key }) {
                bounds[keyPath: count.1] = try int(value, field)
            } else {
                throw unknown(value, field, ["max_term", "max_depth"] + counts.map(\.0))
            }
        }
    }

    private mutating func readLiveness(_ node: Node, _ liveness: inout Spec.Liveness) throws(InputError) {
        for (key, value) in try pairs(node, "liveness") {
            let field = "liveness.\(key)"
            switch key {
            case "leader_within": liveness.leaderWithin = try int(value, field)
            case "commit_within": liveness.commitWithin = try int(value, field)
            case "heal": liveness.heal = try bool(value, field)
            default: throw unknown(value, field, ["leader_within", "commit_within", "heal"])
            }
        }
    }

    private mutating func readFuzz(_ node: Node, _ fuzz: inout Spec.FuzzSettings) throws(InputError) {
        for (key, value) in try pairs(node, "fuzz") {
            let field = "fuzz.\(key)"
            switch key {
            case "depth": fuzz.depth = try int(value, field)
            case "weights":
                for (kind, weight) in try pairs(value, field) {
                    guard ClusterModel.kinds.contains(kind) else {
                        throw unknown(weight, "\(field).\(kind)", ClusterModel.kinds)
                    }
                    fuzz.weights[kind] = try uint(weight, "\(field).\(kind)")
                }
            case "novelty": fuzz.novelty = try bool(value, field)
            case "min_nodes": fuzz.minNodes = try int(value, field)
            case "swarm": fuzz.swarm = try bool(value, field)
            default: throw unknown(value, field, ["depth", "weights", "novelty", "min_nodes", "swarm"])
            }
        }
    }

    /// A raft.tla spec: MCraft.tla's constants, symmetry, history, search budget.
    private mutating func readTLA(_ root: Node, into spec: inout RaftTLASpec) throws(InputError) {
        let counts: [(String, WritableKeyPath<RaftTLASpec, Int>)] = [
            ("servers", \.servers), ("values", \.values), ("max_term", \.maxTerm), ("max_log", \.maxLog),
            ("max_messages", \.maxMessages), ("max_duplicates", \.maxDuplicates),
        ]
        let known = ["model", "name", "symmetry", "history", "search"] + counts.map(\.0)
        for (key, value) in try pairs(root, "") {
            switch key {
            case "model": break
            case "name": spec.name = try scalar(value, key, "a name")
            case "symmetry": spec.symmetry = try bool(value, key)
            case "history": spec.history = try bool(value, key)
            case "search":
                var search = Spec.SearchSettings()
                try readSearch(value, &search)
                guard search.strategy == .bfs else { throw fail(value, "search.strategy", "raft-tla models are checked breadth-first") }
                spec.search.hashBits = search.hashBits
                spec.search.maxStates = search.maxStates
                spec.search.timeLimit = search.timeLimit
            default:
                guard let count = counts.first(where: { $0.0 == key }) else { throw unknown(value, key, known) }
                spec[keyPath: count.1] = try int(value, key)
            }
        }
    }

    private mutating func readSearch(_ node: Node, _ search: inout Spec.SearchSettings) throws(InputError) {
        for (key, value) in try pairs(node, "search") {
            let field = "search.\(key)"
            switch key {
            case "strategy": search.strategy = try choice(value, field, Spec.Strategy.self)
            case "hash_bits":
                switch try int(value, field) {
                case 64: search.hashBits = .bits64
                case 128: search.hashBits = .bits128
                default: throw fail(value, field, "expected 64 or 128")
                }
            case "max_states": search.maxStates = try int(value, field)
            case "time_limit": search.timeLimit = try double(value, field)
            default: throw unknown(value, field, ["strategy", "hash_bits", "max_states", "time_limit"])
            }
        }
    }
}
