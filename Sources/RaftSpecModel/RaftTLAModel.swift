import RaftExplorer

/// Diego Ongaro's TLA+ specification of Raft (raft.tla, with MCraft.tla's state constraint
/// and invariants) as a `Model`, transcribed from the spec's meaning. It checks the explorer
/// itself: on the same bounds it must find exactly TLC's distinct states and depth.
///
/// Where each action lives in raft.tla: `Restart`, `Timeout`, `RequestVote`, `BecomeLeader`,
/// `ClientRequest`, `AdvanceCommitIndex`, `AppendEntries` ("Define state transitions");
/// `Receive` with `UpdateTerm`, `HandleRequestVoteRequest`, `HandleRequestVoteResponse`,
/// `HandleAppendEntriesRequest`, `HandleAppendEntriesResponse`, `DropStaleResponse` ("Message
/// handlers"); `DuplicateMessage`, `DropMessage` ("Network state transitions"); `Next`, which
/// also grows the history variable `allLogs` by the logs of the state it leaves.
///
/// The message bag removes a message when its last copy is consumed (as TLC's `BagCardinality`
/// requires of a bag: every count positive).
public struct RaftTLAModel: Model {
    public let spec: RaftTLASpec
    let n: Int

    public init(spec: RaftTLASpec) {
        self.spec = spec
        n = spec.servers
    }

    public enum Role: UInt8, Sendable { case follower, candidate, leader }

    /// One message of the bag and its number of copies (always positive).
    struct BagEntry: Sendable {
        var message: Message
        var count: UInt8
    }

    /// All variables of raft.tla. Servers are 0-based here (s1 = 0); `votedFor` stores server + 1
    /// (0 = Nil); sets of servers are bit masks; `nextIndex` and `matchIndex` are n × 4 matrices.
    public struct State: Sendable {
        var messages: [BagEntry] = []
        var elections: [Election] = []
        var allLogs: [Log] = []
        var currentTerm = InlineArray<4, UInt8>(repeating: 1)
        var role = InlineArray<4, Role>(repeating: .follower)
        var votedFor = InlineArray<4, UInt8>(repeating: 0)
        var log = InlineArray<4, Log>(repeating: .empty)
        var commitIndex = InlineArray<4, UInt8>(repeating: 0)
        var votesResponded = InlineArray<4, UInt8>(repeating: 0)
        var votesGranted = InlineArray<4, UInt8>(repeating: 0)
        var voterDomain = InlineArray<4, UInt8>(repeating: 0)
        var voterLogs = InlineArray<16, Log>(repeating: .empty)
        var nextIndex = InlineArray<16, UInt8>(repeating: 1)
        var matchIndex = InlineArray<16, UInt8>(repeating: 0)
    }

    public enum Action: Hashable, Sendable, CustomStringConvertible {
        case restart(UInt8), timeout(UInt8), requestVote(UInt8, UInt8), becomeLeader(UInt8)
        case clientRequest(UInt8, UInt8), advanceCommitIndex(UInt8), appendEntries(UInt8, UInt8)
        case receive(Message), duplicate(Message), drop(Message)

        public var description: String {
            switch self {
            case .restart(let i): "Restart(s\(i + 1))"
            case .timeout(let i): "Timeout(s\(i + 1))"
            case .requestVote(let i, let j): "RequestVote(s\(i + 1), s\(j + 1))"
            case .becomeLeader(let i): "BecomeLeader(s\(i + 1))"
            case .clientRequest(let i, let v): "ClientRequest(s\(i + 1), v\(v + 1))"
            case .advanceCommitIndex(let i): "AdvanceCommitIndex(s\(i + 1))"
            case .appendEntries(let i, let j): "AppendEntries(s\(i + 1), s\(j + 1))"
            case .receive(let m): "Receive(\(m.kind) s\(m.source + 1)->s\(m.dest + 1) term \(m.term))"
            case .duplicate(let m): "DuplicateMessage(\(m.kind) s\(m.source + 1)->s\(m.dest + 1) term \(m.term))"
            case .drop(let m): "DropMessage(\(m.kind) s\(m.source + 1)->s\(m.dest + 1) term \(m.term))"
            }
        }
    }

    public var initialStates: [State] { [State()] }

    /// raft.tla's action names, as TLC's coverage names them.
    public var actionKinds: [String] {
        ["Restart", "Timeout", "RequestVote", "BecomeLeader", "ClientRequest", "AdvanceCommitIndex", "AppendEntries",
         "Receive", "DuplicateMessage", "DropMessage"]
    }

    public func kind(of action: Action) -> Int {
        switch action {
        case .restart: 0
        case .timeout: 1
        case .requestVote: 2
        case .becomeLeader: 3
        case .clientRequest: 4
        case .advanceCommitIndex: 5
        case .appendEntries: 6
        case .receive: 7
        case .duplicate: 8
        case .drop: 9
        }
    }

    // MARK: Next

    public func actions(of state: State, into actions: inout [Action]) {
        let servers = UInt8(n)
        for i in 0..<servers { actions.append(.restart(i)) }
        for i in 0..<servers { actions.append(.timeout(i)) }
        for i in 0..<servers { for j in 0..<servers { actions.append(.requestVote(i, j)) } }
        for i in 0..<servers { actions.append(.becomeLeader(i)) }
        for i in 0..<servers { for v in 0..<UInt8(spec.values) { actions.append(.clientRequest(i, v)) } }
        for i in 0..<servers { actions.append(.advanceCommitIndex(i)) }
        for i in 0..<servers { for j in 0..<servers { actions.append(.appendEntries(i, j)) } }
        for entry in state.messages { actions.append(.receive(entry.message)) }
        for entry in state.messages { actions.append(.duplicate(entry.message)) }
        for entry in state.messages { actions.append(.drop(entry.message)) }
    }

    public func nextState(after s: State, action: Action) -> State? {
        var t = s
        switch action {
        case .restart(let i):
            let i = Int(i)
            t.role[i] = .follower
            t.votesResponded[i] = 0
            t.votesGranted[i] = 0
            clearVoterLog(&t, i)
            for j in 0..<n {
                t.nextIndex[i * 4 + j] = 1
                t.matchIndex[i * 4 + j] = 0
            }
            t.commitIndex[i] = 0
        case .timeout(let i):
            let i = Int(i)
            guard s.role[i] != .leader else { return nil }
            t.role[i] = .candidate
            t.currentTerm[i] += 1
            t.votedFor[i] = 0
            t.votesResponded[i] = 0
            t.votesGranted[i] = 0
            clearVoterLog(&t, i)
        case .requestVote(let i, let j):
            let ii = Int(i)
            guard s.role[ii] == .candidate, s.votesResponded[ii] & (1 << j) == 0 else { return nil }
            send(Message(kind: .requestVoteRequest, term: s.currentTerm[ii], source: i, dest: j,
                         logTerm: s.log[ii].lastTerm, index: UInt8(s.log[ii].count)), &t)
        case .becomeLeader(let i):
            let i = Int(i)
            guard s.role[i] == .candidate, s.votesGranted[i].nonzeroBitCount * 2 > n else { return nil }
            t.role[i] = .leader
            for j in 0..<n {
                t.nextIndex[i * 4 + j] = UInt8(s.log[i].count + 1)
                t.matchIndex[i * 4 + j] = 0
            }
            if spec.history {
                var voterLogs = InlineArray<4, Log>(repeating: .empty)
                for j in 0..<4 { voterLogs[j] = s.voterLogs[i * 4 + j] }
                let election = Election(term: s.currentTerm[i], leader: UInt8(i), log: s.log[i], votes: s.votesGranted[i],
                                        voterDomain: s.voterDomain[i], voterLogs: voterLogs)
                if !t.elections.contains(election) { t.elections.append(election) }
            }
        case .clientRequest(let i, let v):
            let i = Int(i)
            guard s.role[i] == .leader else { return nil }
            t.log[i] = s.log[i].appending(term: s.currentTerm[i], value: v)
        case .advanceCommitIndex(let i):
            let i = Int(i)
            guard s.role[i] == .leader else { return nil }
            // The largest index a quorum (the leader and the servers matching it) agrees on.
            var agreed = 0
            for index in stride(from: s.log[i].count, through: 1, by: -1) {
                var agree = 1 << i
                for k in 0..<n where Int(s.matchIndex[i * 4 + k]) >= index { agree |= 1 << k }
                if agree.nonzeroBitCount * 2 > n {
                    agreed = index
                    break
                }
            }
            if agreed > 0 && s.log[i].term(agreed) == s.currentTerm[i] { t.commitIndex[i] = UInt8(agreed) }
        case .appendEntries(let i, let j):
            let (ii, jj) = (Int(i), Int(j))
            guard i != j, s.role[ii] == .leader else { return nil }
            let next = Int(s.nextIndex[ii * 4 + jj])
            let prevIndex = next - 1
            precondition(prevIndex <= s.log[ii].count, "nextIndex beyond the leader's log")
            let prevTerm = prevIndex > 0 ? s.log[ii].term(prevIndex) : 0
            let lastEntry = min(s.log[ii].count, next)
            send(Message(kind: .appendEntriesRequest, term: s.currentTerm[ii], source: i, dest: j,
                         logTerm: prevTerm, index: UInt8(prevIndex), commit: UInt8(min(Int(s.commitIndex[ii]), lastEntry)),
                         entries: s.log[ii].slice(from: next, to: lastEntry), log: spec.history ? s.log[ii] : .empty), &t)
        case .receive(let m):
            guard receive(m, s, &t) else { return nil }
        case .duplicate(let m):
            send(m, &t)
        case .drop(let m):
            discard(m, &t)
        }
        if spec.history {
            // Next: allLogs' = allLogs \cup {log[i] : i \in Server}, the logs of the state left.
            for i in 0..<n { insertSorted(s.log[i], into: &t.allLogs) }
        }
        return t
    }

    /// Receive(m): the term update, or the handler of m's kind. Returns false if not enabled.
    private func receive(_ m: Message, _ s: State, _ t: inout State) -> Bool {
        let i = Int(m.dest), j = Int(m.source)
        if m.term > s.currentTerm[i] {
            // UpdateTerm: messages unchanged, so m is handled by a later step.
            t.currentTerm[i] = m.term
            t.role[i] = .follower
            t.votedFor[i] = 0
            return true
        }
        switch m.kind {
        case .requestVoteRequest:
            // HandleRequestVoteRequest (m.mterm <= currentTerm[i]).
            let log = s.log[i]
            let logOk = m.logTerm > log.lastTerm || (m.logTerm == log.lastTerm && Int(m.index) >= log.count)
            let grant = m.term == s.currentTerm[i] && logOk && (s.votedFor[i] == 0 || s.votedFor[i] == UInt8(j + 1))
            if grant { t.votedFor[i] = UInt8(j + 1) }
            reply(Message(kind: .requestVoteResponse, term: s.currentTerm[i], source: UInt8(i), dest: UInt8(j),
                          flag: grant, log: spec.history ? log : .empty), to: m, &t)
        case .requestVoteResponse:
            if m.term < s.currentTerm[i] {
                discard(m, &t)  // DropStaleResponse
                return true
            }
            // HandleRequestVoteResponse (m.mterm = currentTerm[i]), whatever the role.
            t.votesResponded[i] |= 1 << j
            if m.flag {
                t.votesGranted[i] |= 1 << j
                // voterLog[i] @@ (j :> m.mlog): an existing entry for j wins.
                if spec.history && s.voterDomain[i] & (1 << j) == 0 {
                    t.voterDomain[i] |= 1 << j
                    t.voterLogs[i * 4 + j] = m.log
                }
            }
            discard(m, &t)
        case .appendEntriesRequest:
            return handleAppendEntriesRequest(m, s, &t)
        case .appendEntriesResponse:
            if m.term < s.currentTerm[i] {
                discard(m, &t)  // DropStaleResponse
                return true
            }
            // HandleAppendEntriesResponse (m.mterm = currentTerm[i]), whatever the role.
            if m.flag {
                t.nextIndex[i * 4 + j] = m.index + 1
                t.matchIndex[i * 4 + j] = m.index
            } else {
                t.nextIndex[i * 4 + j] = max(s.nextIndex[i * 4 + j] - 1, 1)
            }
            discard(m, &t)
        }
        return true
    }

    /// HandleAppendEntriesRequest (m.mterm <= currentTerm[i]).
    private func handleAppendEntriesRequest(_ m: Message, _ s: State, _ t: inout State) -> Bool {
        let i = Int(m.dest)
        let log = s.log[i]
        let prev = Int(m.index)
        let logOk = prev == 0 || (prev > 0 && prev <= log.count && m.logTerm == log.term(prev))
        let term = s.currentTerm[i]
        if m.term < term || (m.term == term && s.role[i] == .follower && !logOk) {
            // Reject.
            reply(Message(kind: .appendEntriesResponse, term: term, source: m.dest, dest: m.source, index: 0, flag: false), to: m, &t)
            return true
        }
        guard m.term == term else { return false }
        if s.role[i] == .candidate {
            // Return to follower; the request stays in the bag.
            t.role[i] = .follower
            return true
        }
        guard s.role[i] == .follower, logOk else { return false }
        let index = prev + 1
        if m.entries.count == 0 || (log.count >= index && log.term(index) == m.entries.term(1)) {
            // Already done with the request.
            t.commitIndex[i] = m.commit
            reply(Message(kind: .appendEntriesResponse, term: term, source: m.dest, dest: m.source,
                          index: UInt8(prev + m.entries.count), flag: true), to: m, &t)
        } else if log.count >= index {
            // Conflict: remove one entry (the last); the request stays.
            t.log[i] = log.droppingLast()
        } else if log.count == prev {
            // No conflict: append the entry; the request stays.
            t.log[i] = log.appending(entryOf: m.entries, at: 1)
        } else {
            return false
        }
        return true
    }

    private func clearVoterLog(_ t: inout State, _ i: Int) {
        t.voterDomain[i] = 0
        for j in 0..<4 { t.voterLogs[i * 4 + j] = .empty }
    }

    // MARK: The message bag

    /// WithMessage: one more copy.
    private func send(_ m: Message, _ t: inout State) {
        var low = 0, high = t.messages.count
        while low < high {
            let mid = (low + high) / 2
            if t.messages[mid].message < m { low = mid + 1 } else { high = mid }
        }
        if low < t.messages.count && t.messages[low].message == m {
            t.messages[low].count += 1
        } else {
            t.messages.insert(BagEntry(message: m, count: 1), at: low)
        }
    }

    /// WithoutMessage: one copy fewer; the last copy leaves the bag.
    private func discard(_ m: Message, _ t: inout State) {
        guard let k = t.messages.firstIndex(where: { $0.message == m }) else { return }
        if t.messages[k].count <= 1 {
            t.messages.remove(at: k)
        } else {
            t.messages[k].count -= 1
        }
    }

    /// Reply: WithoutMessage(request, WithMessage(response, messages)).
    private func reply(_ response: Message, to request: Message, _ t: inout State) {
        send(response, &t)
        discard(request, &t)
    }

    private func insertSorted(_ log: Log, into set: inout [Log]) {
        var low = 0, high = set.count
        while low < high {
            let mid = (low + high) / 2
            if set[mid] < log { low = mid + 1 } else { high = mid }
        }
        if low == set.count || set[low] != log { set.insert(log, at: low) }
    }

    // MARK: MCraft.tla

    /// StateConstraint.
    public func withinBoundary(_ s: State) -> Bool {
        var total = 0
        for entry in s.messages {
            if Int(entry.count) > spec.maxDuplicates { return false }
            total += Int(entry.count)
        }
        guard total <= spec.maxMessages else { return false }
        for i in 0..<n where Int(s.currentTerm[i]) > spec.maxTerm || s.log[i].count > spec.maxLog { return false }
        return true
    }

    public var properties: [Property<State>] {
        let n = self.n
        let history = spec.history
        var properties: [Property<State>] = [
            .always("ElectionSafety") { s in
                for i in 0..<n { for j in 0..<n where i != j {
                    if s.role[i] == .leader && s.role[j] == .leader && s.currentTerm[i] == s.currentTerm[j] { return false }
                } }
                return true
            },
            .always("LogMatching") { s in
                for i in 0..<n { for j in 0..<n {
                    let (a, b) = (s.log[i], s.log[j])
                    for k in stride(from: min(a.count, b.count), through: 1, by: -1) where a.term(k) == b.term(k) {
                        for x in 1...k where a.entry(x) != b.entry(x) { return false }
                    }
                } }
                return true
            },
            .always("CommittedPrefixAgree") { s in
                for i in 0..<n { for j in 0..<n {
                    let bound = min(Int(s.commitIndex[i]), Int(s.commitIndex[j]), s.log[i].count, s.log[j].count)
                    if bound > 0 { for k in 1...bound where s.log[i].entry(k) != s.log[j].entry(k) { return false } }
                } }
                return true
            },
        ]
        if history {
            properties.append(.always("ElectionSafetyHist") { s in
                for a in s.elections { for b in s.elections where a.term == b.term && a.leader != b.leader { return false } }
                return true
            })
        }
        return properties
    }
}
