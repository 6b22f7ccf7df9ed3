import RaftCore

/// The application's state machine (hashicorp/raft's `FSM`).
public protocol StateMachine: AnyObject {
    /// Applies a committed command, in log order, once; the result goes to whoever proposed it.
    func apply(_ command: [UInt8], at index: LogIndex) -> [UInt8]
    /// The whole state, for a snapshot.
    func snapshot() -> [UInt8]
    /// Replaces the state with a snapshot's.
    func restore(_ data: [UInt8]) throws
}

/// Carries a node's messages to its peers. It may lose, delay or reorder them (Raft copes);
/// what arrives goes to the receiving server's `receive`. Its owner reports to the sending
/// server what became of snapshots (`reportSnapshot`) and of peers it cannot reach
/// (`reportUnreachable`).
public protocol Transport: AnyObject {
    func send(_ message: Message)
}

/// One Raft server: a RaftCore node run over durable stores, a state machine and a transport.
/// Single-threaded and clock-free: its owner calls `tick` on a timer, `receive` for each
/// message that arrives and `propose` for commands, then `process` to carry the node's work out.
///
/// `process` follows the persistence contract: a Ready's snapshot, entries and hard state are
/// durable (each store syncs before returning) before its `messagesAfterPersist` go out, and
/// committed entries reach the state machine in order, after they are durable here.
public final class Server {
    public let id: NodeID
    private(set) var node: RawNode<MemoryStorage>
    private let log: LogStore
    private let stable: StableStore
    private let snapshots: SnapshotStore
    private let machine: StateMachine
    private let transport: Transport
    /// Take a snapshot (and compact the log) once this many entries were applied since the last.
    public let snapshotEvery: UInt64?
    /// The index of the last entry the state machine applied (or restored from a snapshot).
    public private(set) var applied = LogIndex.zero
    /// Synced store writes so far (log appends and compactions, hard states, snapshots).
    public private(set) var syncs = 0
    private var requests: Requests
    /// A membership change was applied since the last snapshot.
    private var membershipChanged = false

    /// Opens the server from its stores: the newest snapshot restored into the state machine,
    /// the log after it and the hard state loaded; committed entries after the snapshot are
    /// applied again as they come out of the node. Stores that hold nothing start a new cluster
    /// of `voters` (every founding member is given the same list; later members get none).
    /// `incarnation` must differ from every earlier start's (`Incarnation.next(in:)` keeps one
    /// durably): ReadIndex contexts carry it.
    public init(config: Config, bootstrap voters: [NodeID], log: LogStore, stable: StableStore, snapshots: SnapshotStore,
                machine: StateMachine, transport: Transport, incarnation: UInt64, snapshotEvery: UInt64? = nil) throws {
        (self.id, self.log, self.stable, self.snapshots, self.machine, self.transport, self.snapshotEvery) =
            (config.id, log, stable, snapshots, machine, transport, snapshotEvery)
        requests = Requests(incarnation: incarnation)
        var storage = MemoryStorage()
        let snapshot = try snapshots.latest()
        if let snapshot {
            try storage.applySnapshot(snapshot)
            try machine.restore(snapshot.data)
            applied = snapshot.metadata.index
        }
        // A snapshot saved by a server that stopped before compacting its log for it.
        if let snapshot, log.compacted.index < snapshot.metadata.index {
            try log.compact(through: snapshot.metadata.index, term: snapshot.metadata.term)
        }
        let held = try log.entries(from: applied + 1, to: log.lastIndex)
        if snapshot == nil && held.isEmpty && stable.hardState.isEmpty && !voters.isEmpty {
            storage = MemoryStorage(bootstrapping: voters)
            try log.append(try storage.entries(from: storage.firstIndex, to: storage.lastIndex + 1, maxSize: .max))
            try stable.save(storage.hardState)
        } else {
            storage.append(held)
            // The commit index is saved with each term or vote, not each commit: what was
            // applied from a snapshot is committed too.
            var hardState = stable.hardState
            hardState.commit = max(hardState.commit, applied)
            storage.setHardState(hardState)
        }
        var config = config
        config.applied = applied
        node = try RawNode(config: config, storage: storage)
    }

    public func tick() { node.tick() }

    /// Steps a message from the network. One the node refuses (from a peer it does not track,
    /// say) is dropped, as a network would.
    public func receive(_ message: Message) { try? node.step(message) }

    /// The transport finished sending a snapshot to `peer` (or failed to).
    public func reportSnapshot(to peer: NodeID, failed: Bool) { node.reportSnapshot(to: peer, failed: failed) }

    /// The transport could not deliver to `peer`: the leader probes it again instead of streaming.
    public func reportUnreachable(_ peer: NodeID) { node.reportUnreachable(peer) }

    public func campaign() { node.campaign() }

    public var isLeader: Bool { node.raft.role == .leader }
    public var leader: NodeID { node.raft.leader }
    public var term: Term { node.raft.term }
    public var status: Status { node.status }
    /// The voters and learners in force (the newest applied configuration).
    public var configuration: ConfState { node.raft.tracker.config.confState }
    /// Called with each new role and leader, once `process` learns of it.
    public var onLeadershipChange: ((SoftState, Term) -> Void)?

    // MARK: Requests

    /// Proposes a command; `done` gets the state machine's result once it is applied here.
    /// Only the leader takes writes.
    @discardableResult
    public func apply(_ command: [UInt8], done: @escaping (Result<[UInt8], ServerError>) -> Void) -> RequestID {
        propose(isConfChange: false, done: done) { (node) throws(RaftError) in try node.propose(command) }
    }

    /// Succeeds once every entry before it is applied here (a write of nothing).
    @discardableResult
    public func barrier(done: @escaping (Result<Void, ServerError>) -> Void) -> RequestID {
        apply([]) { done($0.map { _ in () }) }
    }

    /// Proposes a membership change; `done` succeeds once it is applied here, or fails when
    /// it does not fit the configuration.
    @discardableResult
    public func changeMembership(_ change: ConfChange, done: @escaping (Result<Void, ServerError>) -> Void) -> RequestID {
        propose(isConfChange: true, done: { done($0.map { _ in () }) }) { (node) throws(RaftError) in try node.proposeConfChange(change) }
    }

    /// Asks for a linearizable read: `done` is called once this server's state machine holds
    /// every write committed before the request, confirmed by the leader (ReadIndex: a quorum
    /// round, or the leader's lease under `.leaseBased`). Any member may ask.
    @discardableResult
    public func read(done: @escaping (Result<LogIndex, ServerError>) -> Void) -> RequestID {
        let id = requests.newID()
        do {
            try node.readIndex(requestContext: id.value)
            requests.addRead(.init(id: id, leader: leader, term: term, index: nil, done: done))
        } catch {
            done(.failure(.notLeader(leader: leader)))
        }
        return id
    }

    /// Hands leadership to `target`; `done` succeeds once `target` leads, and fails if the
    /// leader abandons the transfer (after an election timeout) or another node wins.
    @discardableResult
    public func transferLeadership(to target: NodeID, done: @escaping (Result<Void, ServerError>) -> Void) -> RequestID {
        let id = requests.newID()
        guard isLeader else { done(.failure(.notLeader(leader: leader))); return id }
        requests.setTransfer(.init(id: id, target: target, done: done))
        try? node.transferLeader(to: target)
        requests.checkTransfer(leader: leader, isLeader: isLeader, transferee: node.raft.leadTransferee)
        return id
    }

    /// Ends a waiting request with `error` (its owner gave up on it: a timeout).
    public func abandon(_ id: RequestID, _ error: ServerError = .outcomeUnknown) { requests.abandon(id, error) }

    /// Ends every waiting request; the server is being stopped.
    public func abandonAll() { requests.abandonAll(.stopped("stopped")) }

    /// Requests still waiting.
    public var waiting: Int { requests.count }

    /// Whether the request is still waiting for its answer.
    public func isWaiting(for id: RequestID) -> Bool { requests.isWaiting(for: id) }

    /// The newest snapshot's index (zero for none).
    public var snapshotIndex: LogIndex { node.storage.firstIndex - 1 }

    /// Proposes through `submit` on the leader, and waits for the entry it appended.
    private func propose(isConfChange: Bool, done: @escaping Requests.WriteDone,
                         _ submit: (inout RawNode<MemoryStorage>) throws(RaftError) -> Void) -> RequestID {
        let id = requests.newID()
        guard isLeader else { done(.failure(.notLeader(leader: leader))); return id }
        do {
            try submit(&node)
        } catch {
            done(.failure(.dropped))
            return id
        }
        requests.addWrite(.init(id: id, index: node.raft.log.lastIndex, term: term, isConfChange: isConfChange, done: done))
        return id
    }

    // MARK: The Ready loop

    /// Carries out every Ready the node has.
    public func process() throws {
        while node.hasReady {
            let rd = node.ready()
            for message in rd.messages { transport.send(message) }
            if let snapshot = rd.snapshot {
                try snapshots.save(snapshot)
                try log.compact(through: snapshot.metadata.index, term: snapshot.metadata.term)
                syncs += 2
                try node.storage.applySnapshot(snapshot)
                try machine.restore(snapshot.data)
                applied = snapshot.metadata.index
                requests.skipped(through: applied)
            }
            if !rd.entries.isEmpty {
                try log.append(rd.entries)
                syncs += 1
                node.storage.append(rd.entries)
            }
            if let hardState = rd.hardState {
                // Term and vote must be durable before any message that depends on them; the
                // commit index need not be (a restarted node learns it again), so a change of
                // commit alone costs no sync.
                if hardState.term != stable.hardState.term || hardState.vote != stable.hardState.vote {
                    try stable.save(hardState)
                    syncs += 1
                }
                node.storage.setHardState(hardState)
            }
            for message in rd.messagesAfterPersist { transport.send(message) }
            for entry in rd.committedEntries { try apply(entry) }
            node.advance(rd)
            requests.confirmed(rd.readStates)
            requests.answerReads(applied: applied)
            if let soft = rd.softState {
                requests.leaderChanged(to: soft.leader, term: term)
                onLeadershipChange?(soft, term)
            }
            requests.checkTransfer(leader: leader, isLeader: isLeader, transferee: node.raft.leadTransferee)
            try snapshotIfDue()
        }
    }

    private func apply(_ entry: Entry) throws {
        var result: Result<[UInt8], ServerError> = .success([])
        switch entry.kind {
        case .confChange:
            guard let change = ConfChange(encoded: entry.data) else { throw ServerError.undecodable(entry.index) }
            // A change that does not fit is refused on every node alike and changes nothing.
            do {
                node.storage.setConfState(try node.applyConfChange(change))
                membershipChanged = true
            } catch {
                result = .failure(.changeRefused("\(error)"))
            }
        case .normal:
            if !entry.data.isEmpty { result = .success(machine.apply(entry.data, at: entry.index)) }
        }
        applied = entry.index
        requests.applied(entry, result: result)
    }

    /// Every `snapshotEvery` entries, and after each membership change: a member added later
    /// only installs a snapshot whose configuration holds it, so the snapshot the leader
    /// sends must be newer than the change.
    private func snapshotIfDue() throws {
        guard let every = snapshotEvery, applied >= node.storage.firstIndex + every || membershipChanged else { return }
        membershipChanged = false
        let snapshot = try node.storage.createSnapshot(at: applied, data: machine.snapshot())
        try snapshots.save(snapshot)
        try node.storage.compact(to: applied)
        try log.compact(through: applied, term: snapshot.metadata.term)
        syncs += 2
    }
}
