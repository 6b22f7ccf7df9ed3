/// raft.tla behaviours as traces: each action written by its TLA+ name and arguments (servers
/// and values 1-based, as s1 and v1 in MCraft.tla), messages as raft.tla's records; and each
/// state as raft.tla's variables, for the Informal Trace Format.

/// An action as a trace writes it: `{"action": "RequestVote", "server": 1, "peer": 2}`, or for
/// the network's actions `{"action": "Receive", "message": {…}}`.
public struct WireAction: Codable, Hashable, Sendable {
    public var action: String
    public var server: Int?
    public var peer: Int?
    public var value: Int?
    public var message: WireTLAMessage?

    public init(_ action: RaftTLAModel.Action) {
        let one = { (i: UInt8) in Int(i) + 1 }
        switch action {
        case .restart(let i): (self.action, server) = ("Restart", one(i))
        case .timeout(let i): (self.action, server) = ("Timeout", one(i))
        case .requestVote(let i, let j): (self.action, server, peer) = ("RequestVote", one(i), one(j))
        case .becomeLeader(let i): (self.action, server) = ("BecomeLeader", one(i))
        case .clientRequest(let i, let v): (self.action, server, value) = ("ClientRequest", one(i), one(v))
        case .advanceCommitIndex(let i): (self.action, server) = ("AdvanceCommitIndex", one(i))
        case .appendEntries(let i, let j): (self.action, server, peer) = ("AppendEntries", one(i), one(j))
        case .receive(let m): (self.action, message) = ("Receive", WireTLAMessage(m))
        case .duplicate(let m): (self.action, message) = ("DuplicateMessage", WireTLAMessage(m))
        case .drop(let m): (self.action, message) = ("DropMessage", WireTLAMessage(m))
        }
    }

    /// The action, checked against the spec's servers and values; throws what is wrong.
    public func action(in spec: RaftTLASpec) throws(RaftTLATraceError) -> RaftTLAModel.Action {
        func index(_ field: String, _ number: Int?, _ limit: Int) throws(RaftTLATraceError) -> UInt8 {
            guard let number else { throw .init(field, "missing") }
            guard (1...limit).contains(number) else { throw .init(field, "must be between 1 and \(limit)") }
            return UInt8(number - 1)
        }
        let servers = spec.servers
        switch action {
        case "Restart": return .restart(try index("server", server, servers))
        case "Timeout": return .timeout(try index("server", server, servers))
        case "RequestVote": return .requestVote(try index("server", server, servers), try index("peer", peer, servers))
        case "BecomeLeader": return .becomeLeader(try index("server", server, servers))
        case "ClientRequest": return .clientRequest(try index("server", server, servers), try index("value", value, spec.values))
        case "AdvanceCommitIndex": return .advanceCommitIndex(try index("server", server, servers))
        case "AppendEntries": return .appendEntries(try index("server", server, servers), try index("peer", peer, servers))
        case "Receive", "DuplicateMessage", "DropMessage":
            guard let message else { throw .init("message", "missing") }
            let m = try message.message(in: spec)
            return action == "Receive" ? .receive(m) : action == "DropMessage" ? .drop(m) : .duplicate(m)
        default:
            throw .init("action", "unknown action '\(action)' (known: \(RaftTLAModel(spec: spec).actionKinds.joined(separator: ", ")))")
        }
    }
}

/// What is wrong with a raft-tla trace's action: the field (within the action) and why.
public struct RaftTLATraceError: Error {
    public var field: String
    public var message: String
    init(_ field: String, _ message: String) { (self.field, self.message) = (field, message) }
}

/// A log entry as raft.tla writes it: `[term |-> t, value |-> v]`.
public struct WireTLAEntry: Codable, Hashable, Sendable {
    public var term: Int
    public var value: Int
}

/// A message record of raft.tla: `mtype` and the fields of its kind (the others absent).
public struct WireTLAMessage: Codable, Hashable, Sendable {
    public static let kinds = ["RequestVoteRequest", "RequestVoteResponse", "AppendEntriesRequest", "AppendEntriesResponse"]

    public var mtype: String
    public var mterm: Int
    public var msource: Int
    public var mdest: Int
    public var mlastLogTerm: Int?
    public var mlastLogIndex: Int?
    public var mvoteGranted: Bool?
    public var mprevLogIndex: Int?
    public var mprevLogTerm: Int?
    public var mentries: [WireTLAEntry]?
    public var mcommitIndex: Int?
    public var msuccess: Bool?
    public var mmatchIndex: Int?
    /// A history field (vote responses and append requests, with `history: true`).
    public var mlog: [WireTLAEntry]?

    static func entries(_ log: Log) -> [WireTLAEntry] {
        log.count == 0 ? [] : (1...log.count).map { WireTLAEntry(term: Int(log.term($0)), value: Int(log.entry($0) >> 5) + 1) }
    }

    init(_ m: Message) {
        (mtype, mterm, msource, mdest) = (Self.kinds[Int(m.kind.rawValue)], Int(m.term), Int(m.source) + 1, Int(m.dest) + 1)
        switch m.kind {
        case .requestVoteRequest: (mlastLogTerm, mlastLogIndex) = (Int(m.logTerm), Int(m.index))
        case .requestVoteResponse: (mvoteGranted, mlog) = (m.flag, Self.entries(m.log))
        case .appendEntriesRequest:
            (mprevLogIndex, mprevLogTerm, mcommitIndex) = (Int(m.index), Int(m.logTerm), Int(m.commit))
            (mentries, mlog) = (Self.entries(m.entries), Self.entries(m.log))
        case .appendEntriesResponse: (msuccess, mmatchIndex) = (m.flag, Int(m.index))
        }
    }

    func message(in spec: RaftTLASpec) throws(RaftTLATraceError) -> Message {
        guard let kind = Self.kinds.firstIndex(of: mtype).flatMap({ Message.Kind(rawValue: UInt8($0)) }) else {
            throw .init("message.mtype", "unknown message type '\(mtype)' (known: \(Self.kinds.joined(separator: ", ")))")
        }
        func number(_ field: String, _ value: Int?, _ range: ClosedRange<Int>) throws(RaftTLATraceError) -> UInt8 {
            guard let value else { throw .init("message.\(field)", "missing (a \(mtype) has it)") }
            guard range.contains(value) else { throw .init("message.\(field)", "must be between \(range.lowerBound) and \(range.upperBound)") }
            return UInt8(value)
        }
        func flag(_ field: String, _ value: Bool?) throws(RaftTLATraceError) -> Bool {
            guard let value else { throw .init("message.\(field)", "missing (a \(mtype) has it)") }
            return value
        }
        func log(_ field: String, _ entries: [WireTLAEntry]?, required: Bool) throws(RaftTLATraceError) -> Log {
            guard let entries else {
                if required { throw .init("message.\(field)", "missing (a \(mtype) has it)") }
                return .empty
            }
            guard entries.count <= 6 else { throw .init("message.\(field)", "at most 6 entries") }
            var log = Log.empty
            for (k, e) in entries.enumerated() {
                guard (0...30).contains(e.term), (1...7).contains(e.value) else {
                    throw .init("message.\(field)[\(k)]", "term must be between 0 and 30, value between 1 and 7")
                }
                log = log.appending(term: UInt8(e.term), value: UInt8(e.value - 1))
            }
            return log
        }
        let term = try number("mterm", mterm, 0...30)
        let source = try number("msource", msource, 1...spec.servers) - 1
        let dest = try number("mdest", mdest, 1...spec.servers) - 1
        var m = Message(kind: kind, term: term, source: source, dest: dest)
        switch kind {
        case .requestVoteRequest:
            (m.logTerm, m.index) = (try number("mlastLogTerm", mlastLogTerm, 0...30), try number("mlastLogIndex", mlastLogIndex, 0...7))
        case .requestVoteResponse:
            (m.flag, m.log) = (try flag("mvoteGranted", mvoteGranted), try log("mlog", mlog, required: false))
        case .appendEntriesRequest:
            m.index = try number("mprevLogIndex", mprevLogIndex, 0...7)
            m.logTerm = try number("mprevLogTerm", mprevLogTerm, 0...30)
            m.commit = try number("mcommitIndex", mcommitIndex, 0...7)
            m.entries = try log("mentries", mentries, required: true)
            m.log = try log("mlog", mlog, required: false)
        case .appendEntriesResponse:
            (m.flag, m.index) = (try flag("msuccess", msuccess), try number("mmatchIndex", mmatchIndex, 0...7))
        }
        return m
    }
}

/// A TLA+ value, as a trace format writes a state's variables (ITF: `#bigint`, `#set`, `#map`,
/// records as objects, sequences as arrays).
public indirect enum TLAValue: Equatable, Sendable {
    case int(Int)
    case string(String)
    case bool(Bool)
    case seq([TLAValue])
    case set([TLAValue])
    case map([(TLAValue, TLAValue)])
    case record([(String, TLAValue)])

    public static func == (a: TLAValue, b: TLAValue) -> Bool {
        switch (a, b) {
        case let (.int(x), .int(y)): x == y
        case let (.string(x), .string(y)): x == y
        case let (.bool(x), .bool(y)): x == y
        case let (.seq(x), .seq(y)), let (.set(x), .set(y)): x == y
        case let (.map(x), .map(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        case let (.record(x), .record(y)): x.count == y.count && zip(x, y).allSatisfy { $0.0 == $1.0 && $0.1 == $1.1 }
        default: false
        }
    }
}

extension RaftTLAModel {
    /// raft.tla's variables, in the spec's order (the history variables only with `history`).
    public var variableNames: [String] {
        (spec.history ? ["messages", "elections", "allLogs"] : ["messages"])
            + ["currentTerm", "state", "votedFor", "log", "commitIndex", "votesResponded", "votesGranted"]
            + (spec.history ? ["voterLog"] : []) + ["nextIndex", "matchIndex"]
    }

    /// The state's variables as TLA+ values: servers are the model values "s1"…, Nil is
    /// "Nil", values "v1"…, log entries `[term, value]` records.
    public func variables(of s: State) -> [(String, TLAValue)] {
        let servers = (0..<n).map { TLAValue.string("s\($0 + 1)") }
        func log(_ l: Log) -> TLAValue {
            .seq(l.count == 0 ? [] : (1...l.count).map { .record([("term", .int(Int(l.term($0)))), ("value", .string("v\((l.entry($0) >> 5) + 1)"))]) })
        }
        func serverSet(_ mask: UInt8) -> TLAValue { .set((0..<n).filter { mask & (1 << $0) != 0 }.map { servers[$0] }) }
        func perServer(_ value: (Int) -> TLAValue) -> TLAValue { .map((0..<n).map { (servers[$0], value($0)) }) }
        func message(_ m: Message) -> TLAValue {
            let w = WireTLAMessage(m)
            var fields: [(String, TLAValue)] = [("mtype", .string(w.mtype)), ("mterm", .int(w.mterm)),
                                                ("msource", servers[Int(m.source)]), ("mdest", servers[Int(m.dest)])]
            switch m.kind {
            case .requestVoteRequest: fields += [("mlastLogTerm", .int(Int(m.logTerm))), ("mlastLogIndex", .int(Int(m.index)))]
            case .requestVoteResponse:
                fields.append(("mvoteGranted", .bool(m.flag)))
                if spec.history { fields.append(("mlog", log(m.log))) }
            case .appendEntriesRequest:
                fields += [("mprevLogIndex", .int(Int(m.index))), ("mprevLogTerm", .int(Int(m.logTerm))), ("mentries", log(m.entries)),
                           ("mcommitIndex", .int(Int(m.commit)))]
                if spec.history { fields.append(("mlog", log(m.log))) }
            case .appendEntriesResponse: fields += [("msuccess", .bool(m.flag)), ("mmatchIndex", .int(Int(m.index)))]
            }
            return .record(fields)
        }
        var variables: [(String, TLAValue)] = [("messages", .map(s.messages.map { (message($0.message), .int(Int($0.count))) }))]
        if spec.history {
            variables.append(("elections", .set(s.elections.map { e in
                .record([("eterm", .int(Int(e.term))), ("eleader", servers[Int(e.leader)]), ("elog", log(e.log)), ("evotes", serverSet(e.votes)),
                         ("evoterLog", .map((0..<n).filter { e.voterDomain & (1 << $0) != 0 }.map { (servers[$0], log(e.voterLogs[$0])) }))])
            })))
            variables.append(("allLogs", .set(s.allLogs.map(log))))
        }
        variables += [
            ("currentTerm", perServer { .int(Int(s.currentTerm[$0])) }),
            ("state", perServer { .string(s.role[$0].tlaName) }),
            ("votedFor", perServer { s.votedFor[$0] == 0 ? .string("Nil") : servers[Int(s.votedFor[$0]) - 1] }),
            ("log", perServer { log(s.log[$0]) }),
            ("commitIndex", perServer { .int(Int(s.commitIndex[$0])) }),
            ("votesResponded", perServer { serverSet(s.votesResponded[$0]) }),
            ("votesGranted", perServer { serverSet(s.votesGranted[$0]) }),
        ]
        if spec.history {
            variables.append(("voterLog", perServer { i in
                .map((0..<n).filter { s.voterDomain[i] & (1 << $0) != 0 }.map { (servers[$0], log(s.voterLogs[i * 4 + $0])) })
            }))
        }
        variables.append(("nextIndex", perServer { i in perServer { .int(Int(s.nextIndex[i * 4 + $0])) } }))
        variables.append(("matchIndex", perServer { i in perServer { .int(Int(s.matchIndex[i * 4 + $0])) } }))
        return variables
    }

    /// A state in one line: each server's role, term, log (terms) and commit index, and the
    /// messages in the bag.
    public func summary(of s: State) -> String {
        let servers = (0..<n).map { i in
            let terms = s.log[i].count == 0 ? [] : (1...s.log[i].count).map { "\(s.log[i].term($0))" }
            return "s\(i + 1) \(s.role[i].tlaName) t\(s.currentTerm[i]) log [\(terms.joined(separator: " "))] commit \(s.commitIndex[i])"
        }
        return servers.joined(separator: "; ") + "; messages \(s.messages.reduce(0) { $0 + Int($1.count) })"
    }
}

extension RaftTLAModel.Role {
    /// The role as raft.tla names it (the value of `state[i]`).
    public var tlaName: String { ["Follower", "Candidate", "Leader"][Int(rawValue)] }
}
