import RaftCore

/// The application's state machine (hashicorp/raft's `FSM`).
public protocol StateMachine: AnyObject {
    /// Applies a committed command, in log order, once.
    func apply(_ command: [UInt8], at index: LogIndex)
    /// The whole state, for a snapshot.
    func snapshot() -> [UInt8]
    /// Replaces the state with a snapshot's.
    func restore(_ data: [UInt8]) throws
}

/// Carries a node's messages to its peers. It may lose, delay or reorder them (Raft copes);
/// what arrives goes to the receiving server's `receive`.
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

    /// Opens the server from its stores: the newest snapshot restored into the state machine,
    /// the log after it and the hard state loaded; committed entries after the snapshot are
    /// applied again as they come out of the node. Stores that hold nothing start a new cluster
    /// of `voters` (every founding member is given the same list; later members get none).
    public init(config: Config, bootstrap voters: [NodeID], log: LogStore, stable: StableStore, snapshots: SnapshotStore,
                machine: StateMachine, transport: Transport, snapshotEvery: UInt64? = nil) throws {
        (self.id, self.log, self.stable, self.snapshots, self.machine, self.transport, self.snapshotEvery) =
            (config.id, log, stable, snapshots, machine, transport, snapshotEvery)
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
            storage.setHardState(stable.hardState)
        }
        var config = config
        config.applied = applied
        node = try RawNode(config: config, storage: storage)
    }

    public func tick() { node.tick() }

    /// Steps a message from the network. One the node refuses (from a peer it does not track,
    /// say) is dropped, as a network would.
    public func receive(_ message: Message) { try? node.step(message) }

    /// Proposes a command. Throws `RaftError.proposalDropped` when no leader can take it; a
    /// proposal that does not throw may still be lost to a leader change.
    public func propose(_ command: [UInt8]) throws { try node.propose(command) }

    public func campaign() { node.campaign() }

    public var isLeader: Bool { node.raft.role == .leader }
    public var leader: NodeID { node.raft.leader }
    public var term: Term { node.raft.term }

    /// Carries out every Ready the node has.
    public func process() throws {
        while node.hasReady {
            let rd = node.ready()
            for message in rd.messages { send(message) }
            if let snapshot = rd.snapshot {
                try snapshots.save(snapshot)
                try log.compact(through: snapshot.metadata.index, term: snapshot.metadata.term)
                try node.storage.applySnapshot(snapshot)
                try machine.restore(snapshot.data)
                applied = snapshot.metadata.index
            }
            if !rd.entries.isEmpty {
                try log.append(rd.entries)
                node.storage.append(rd.entries)
            }
            if let hardState = rd.hardState {
                try stable.save(hardState)
                node.storage.setHardState(hardState)
            }
            for message in rd.messagesAfterPersist { send(message) }
            for entry in rd.committedEntries { try apply(entry) }
            node.advance(rd)
            try snapshotIfDue()
        }
    }

    private func send(_ message: Message) {
        transport.send(message)
        // Counted as delivered when sent (docs/raftnode.md: a known limit until transports
        // report delivery).
        if message.type == .snapshot { node.reportSnapshot(to: message.to, failed: false) }
    }

    private func apply(_ entry: Entry) throws {
        switch entry.kind {
        case .confChange:
            guard let change = ConfChange(encoded: entry.data) else { throw ServerError.undecodable(entry.index) }
            // A change that does not fit is refused on every node alike and changes nothing.
            if let conf = try? node.applyConfChange(change) { node.storage.setConfState(conf) }
        case .normal:
            if !entry.data.isEmpty { machine.apply(entry.data, at: entry.index) }
        }
        applied = entry.index
    }

    private func snapshotIfDue() throws {
        guard let every = snapshotEvery, applied >= node.storage.firstIndex + every else { return }
        let snapshot = try node.storage.createSnapshot(at: applied, data: machine.snapshot())
        try snapshots.save(snapshot)
        try node.storage.compact(to: applied)
        try log.compact(through: applied, term: snapshot.metadata.term)
    }
}

/// What a server cannot go on from.
public enum ServerError: Error, Equatable {
    /// A committed configuration change does not decode.
    case undecodable(LogIndex)
}
