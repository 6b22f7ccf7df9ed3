@_spi(Checker) @testable import RaftCore

/// A node's config with the options the tests vary.
func testConfig(
    _ id: NodeID, electionTicks: Int = 10, heartbeatTicks: Int = 1, preVote: Bool = false,
    checkQuorum: Bool = false, mutations: Mutation = [], seed: UInt64 = 0,
    maxSizePerMessage: UInt64 = .max, maxInflight: Int = 256
) -> Config {
    var config = Config(id: id)
    config.electionTicks = electionTicks
    config.heartbeatTicks = heartbeatTicks
    config.preVote = preVote
    config.checkQuorum = checkQuorum
    config.mutations = mutations
    config.randomSeed = seed
    config.maxSizePerMessage = maxSizePerMessage
    config.maxInflightMessages = maxInflight
    return config
}

/// A storage holding `terms[i]` as the term of entry `i + 1`, with `hardState`.
func storage(voters: [NodeID], terms: [UInt64] = [], hardState: HardState = HardState()) -> MemoryStorage {
    var storage = MemoryStorage(confState: ConfState(voters: voters))
    storage.append(terms.enumerated().map { Entry(term: Term($0.element), index: LogIndex(UInt64($0.offset + 1))) })
    storage.setHardState(hardState)
    return storage
}

/// The terms of a node's whole log, index 1 first.
func logTerms<S: Storage>(_ raft: Raft<S>) -> [UInt64] {
    guard raft.log.lastIndex >= raft.log.firstIndex else { return [] }
    return ((try? raft.log.entries(from: raft.log.firstIndex)) ?? []).map(\.term.rawValue)
}

/// A deterministic in-memory cluster: every node is a `RawNode<MemoryStorage>`, messages wait in
/// `inFlight` until delivered, and Readies are carried out as the persistence contract says.
/// It records the history the safety properties need.
struct Cluster {
    let ids: [NodeID]
    var configs: [Config]
    var nodes: [RawNode<MemoryStorage>]
    var inFlight: [Message] = []
    /// Messages to drop instead of delivering (in addition to isolation).
    var dropFilter: ((Message) -> Bool)?
    /// Rewrites messages on delivery (e.g. losing part of an append).
    var rewrite: ((Message) -> Message)?
    var isolated: Set<NodeID> = []
    /// The leader each term ever had (election safety).
    var leaders: [Term: NodeID] = [:]
    var electionSafetyViolations: [String] = []
    /// The entry applied at each index by any node, ever (state machine safety).
    var appliedAt: [LogIndex: Entry] = [:]
    var stateMachineViolations: [String] = []
    /// Each node's applied entries since its last restart.
    var applied: [[Entry]]
    /// Every message delivered (not dropped), in order.
    var delivered: [Message] = []
    /// Reads each node's Readies confirmed, in order.
    var readStates: [[ReadState]]
    /// Errors from applying configuration changes, in order.
    var confChangeErrors: [ConfChangeError] = []

    init(size: Int, configure: (inout Config) -> Void = { _ in }) {
        ids = (1...size).map { NodeID(UInt64($0)) }
        configs = ids.map { id in
            var config = Config(id: id)
            configure(&config)
            return config
        }
        let voters = ids
        nodes = configs.map { try! RawNode(config: $0, storage: MemoryStorage(confState: ConfState(voters: voters))) }
        applied = Array(repeating: [], count: size)
        readStates = Array(repeating: [], count: size)
    }

    init(nodes: [RawNode<MemoryStorage>], configs: [Config]) {
        ids = configs.map(\.id)
        self.configs = configs
        self.nodes = nodes
        applied = Array(repeating: [], count: nodes.count)
        readStates = Array(repeating: [], count: nodes.count)
    }

    func slot(_ id: NodeID) -> Int { ids.firstIndex(of: id)! }

    subscript(id: NodeID) -> RawNode<MemoryStorage> {
        get { nodes[slot(id)] }
        set { nodes[slot(id)] = newValue }
    }

    var leader: NodeID? {
        ids.filter { self[$0].raft.role == .leader }.max { self[$0].raft.term < self[$1].raft.term }
    }

    /// Where a crash can fall while a Ready is carried out.
    enum CrashPoint: CaseIterable { case beforePersist, afterPersist, beforeAdvance }

    /// Carries out one Ready of `id`, if it has one, in the contract's order; with `crash`, the
    /// node crashes at that point and restarts from its storage.
    mutating func processReady(_ id: NodeID, crash: CrashPoint? = nil) {
        var node = self[id]
        guard node.hasReady else { return }
        let rd = node.ready()
        inFlight.append(contentsOf: rd.messages)
        if crash == .beforePersist { return crashAndRestart(id) }
        if let snapshot = rd.snapshot { try! node.storage.applySnapshot(snapshot) }
        node.storage.append(rd.entries)
        if let hardState = rd.hardState { node.storage.setHardState(hardState) }
        if crash == .afterPersist {
            self[id] = node
            return crashAndRestart(id)
        }
        inFlight.append(contentsOf: rd.messagesAfterPersist)
        if let snapshot = rd.snapshot { applied[slot(id)] = Self.decodeStateMachine(snapshot.data) }
        for entry in rd.committedEntries {
            recordApply(entry, on: id)
            guard entry.kind == .confChange, let change = ConfChange(encoded: entry.data) else { continue }
            do {
                let conf = try node.applyConfChange(change)
                node.storage.setConfState(conf)
            } catch {
                confChangeErrors.append(error)
            }
        }
        readStates[slot(id)].append(contentsOf: rd.readStates)
        if crash == .beforeAdvance {
            self[id] = node
            return crashAndRestart(id)
        }
        node.advance(rd)
        self[id] = node
        observe(id)
    }

    /// The application data `id` applied, in order (including what a snapshot restored).
    func appliedData(_ id: NodeID) -> [String] {
        applied[slot(id)].filter { $0.kind == .normal && !$0.data.isEmpty }.map { String(decoding: $0.data, as: UTF8.self) }
    }

    /// A snapshot's data: the application entries applied up to it, one per line.
    static func encodeStateMachine(_ entries: [Entry]) -> [UInt8] {
        Array(entries.map { "\($0.index) \($0.term) \(String(decoding: $0.data, as: UTF8.self))" }.joined(separator: "\n").utf8)
    }

    static func decodeStateMachine(_ data: [UInt8]) -> [Entry] {
        String(decoding: data, as: UTF8.self).split(separator: "\n").map { line in
            let parts = line.split(separator: " ", maxSplits: 2, omittingEmptySubsequences: false)
            return Entry(term: Term(UInt64(parts[1])!), index: LogIndex(UInt64(parts[0])!),
                         data: parts.count > 2 ? Array(parts[2].utf8) : [])
        }
    }

    /// `id` snapshots what it applied and compacts its log up to its applied index.
    mutating func compact(_ id: NodeID) {
        var node = self[id]
        let index = node.raft.log.applied
        let data = Self.encodeStateMachine(applied[slot(id)].filter { $0.kind == .normal && !$0.data.isEmpty })
        try! node.storage.createSnapshot(at: index, data: data)
        try! node.storage.compact(to: index)
        self[id] = node
    }

    mutating func recordApply(_ entry: Entry, on id: NodeID) {
        applied[slot(id)].append(entry)
        if let earlier = appliedAt[entry.index], earlier != entry {
            stateMachineViolations.append("node \(id) applied \(entry.index)@\(entry.term), another applied \(earlier.index)@\(earlier.term)")
        } else {
            appliedAt[entry.index] = entry
        }
    }

    mutating func observe(_ id: NodeID) {
        let raft = self[id].raft
        guard raft.role == .leader else { return }
        if let other = leaders[raft.term], other != id {
            electionSafetyViolations.append("term \(raft.term) has leaders \(other) and \(id)")
        }
        leaders[raft.term] = id
    }

    func isDropped(_ m: Message) -> Bool {
        isolated.contains(m.from) || isolated.contains(m.to) || (dropFilter?(m) ?? false)
    }

    /// Delivers the message at `index` of `inFlight` (or drops it if it is filtered).
    mutating func deliver(at index: Int) {
        var m = inFlight.remove(at: index)
        guard !isDropped(m) else { return }
        if let rewrite { m = rewrite(m) }
        delivered.append(m)
        var node = self[m.to]
        try? node.step(m)
        self[m.to] = node
        observe(m.to)
    }

    /// Runs Readies and delivers messages in FIFO order until nothing is left to do.
    mutating func stabilize(maxRounds: Int = 10_000) {
        for _ in 0..<maxRounds {
            for id in ids { processReady(id) }
            if inFlight.isEmpty && !ids.contains(where: { self[$0].hasReady }) { return }
            while !inFlight.isEmpty { deliver(at: 0) }
        }
        preconditionFailure("cluster did not stabilize; last delivered: \(delivered.suffix(12))")
    }

    mutating func tick(_ id: NodeID, times: Int = 1) {
        for _ in 0..<times {
            self[id].tick()
            observe(id)
        }
    }

    mutating func campaign(_ id: NodeID) {
        self[id].campaign()
        stabilize()
    }

    mutating func propose(_ id: NodeID, _ data: String) {
        try? self[id].propose(Array(data.utf8))
        stabilize()
    }

    /// The node loses everything it has not persisted and restarts from its storage.
    mutating func crashAndRestart(_ id: NodeID) {
        let storage = self[id].storage
        self[id] = try! RawNode(config: configs[slot(id)], storage: storage)
        applied[slot(id)] = Self.decodeStateMachine(storage.latestSnapshot.data)
    }

    /// Log matching: two logs with an entry of the same index and term agree up to it.
    func logMatchingViolations() -> [String] {
        var problems: [String] = []
        for (i, a) in ids.enumerated() {
            for b in ids[(i + 1)...] {
                let logA = (try? self[a].raft.log.entries(from: 1)) ?? []
                let logB = (try? self[b].raft.log.entries(from: 1)) ?? []
                let common = min(logA.count, logB.count)
                guard let last = (0..<common).last(where: { logA[$0].term == logB[$0].term }) else { continue }
                if logA[...last] != logB[...last] {
                    problems.append("nodes \(a) and \(b) agree at \(last + 1) but differ before it")
                }
            }
        }
        return problems
    }
}

/// A single node for rule tests: `voters`, an optional log (`terms`) and hard state.
func makeNode(
    _ id: NodeID, voters: [NodeID] = [1, 2, 3], terms: [UInt64] = [], hardState: HardState = HardState(),
    _ config: Config? = nil
) -> RawNode<MemoryStorage> {
    try! RawNode(config: config ?? testConfig(id), storage: storage(voters: voters, terms: terms, hardState: hardState))
}

extension RawNode where S == MemoryStorage {
    /// Carries out the pending Ready (persist, then advance) and returns it for inspection.
    @discardableResult
    mutating func persistAndAdvance() -> Ready {
        guard hasReady else { return Ready() }
        let rd = ready()
        storage.append(rd.entries)
        if let hardState = rd.hardState { storage.setHardState(hardState) }
        advance(rd)
        return rd
    }

    /// Steps `message`, failing the test on a refusal.
    mutating func receive(_ message: Message) {
        do { try step(message) } catch { Issue.record("step refused \(message): \(error)") }
    }
}

import Testing
