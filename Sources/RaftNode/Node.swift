import NIOCore
import NIOPosix
import RaftCore

/// How a read confirms that it sees every write acknowledged before it (Consul's modes).
public enum ReadMode: Sendable, Equatable {
    /// This member's state machine as it is: fast, possibly behind.
    case stale
    /// ReadIndex: the leader confirms its leadership (a quorum heartbeat round, or its lease
    /// when the node's `readOnlyOption` is `.leaseBased`), and this member's state machine
    /// catches up to the commit index the leader reported.
    case `default`
    /// A barrier through the log: an entry committed by a quorum after the read started, with
    /// no clock assumption.
    case consistent
}

/// A leadership change, as the `leadership` stream reports it.
public struct Leadership: Sendable, Equatable {
    public var term: Term
    public var leader: NodeID
    public var isLeader: Bool
}

/// What a node reports about itself.
public struct NodeStats: Sendable, Equatable {
    public var status: Status
    /// The newest snapshot's index (zero for none).
    public var snapshotIndex: LogIndex
    /// Requests waiting for an answer.
    public var waiting: Int
    /// Synced store writes since the node started.
    public var syncs: Int
}

/// A running node: a `Server` on a clock, with an async API in hashicorp/raft's shape
/// (apply, barrier, reads, membership, leadership transfer, stats, a leadership stream).
///
/// Everything the node does runs on one thread of its own (its executor), where store writes
/// may block on `fsync` without stalling the network. Messages, ticks and requests arriving
/// together are carried out by one `process` pass, so their writes share one sync.
/// The clock is injected: ticks and timeouts are measured on it.
public actor Node<Machine: StateMachine & SendableMetatype> {
    private let server: Server
    /// The application's state machine; reads run against it on the node's thread.
    private let machine: Machine
    private nonisolated let loop: any EventLoop
    private let clock: any Clock<Duration>
    private let tickInterval: Duration
    private var ticking: Task<Void, Never>?
    private var processScheduled = false
    /// Whether inputs that arrive together share one `process` pass (and one sync).
    private let batching: Bool
    /// Why the node stopped, once it has.
    public private(set) var failure: String?
    public nonisolated let leadership: AsyncStream<Leadership>
    private let leadershipContinuation: AsyncStream<Leadership>.Continuation

    /// What the transport hands in, in the order it arrived.
    private enum Input: Sendable {
        case message(Message)
        case snapshotSent(to: NodeID, failed: Bool)
        case unreachable(NodeID)
    }

    private nonisolated let inbox: AsyncStream<Input>.Continuation
    /// The inbox's stream until `start` takes it.
    private var pending: AsyncStream<Input>?
    private var inputs: Task<Void, Never>?

    public nonisolated var unownedExecutor: UnownedSerialExecutor {
        loop.executor.asUnownedSerialExecutor()
    }

    /// Opens a server over its stores (see `Server.init`). The node runs on `loop`, which
    /// should be a thread of its own: store writes block it while they sync.
    public init(config: Config, bootstrap voters: [NodeID], log: sending LogStore, stable: sending StableStore,
                snapshots: sending SnapshotStore, machine: sending Machine, transport: sending Transport, incarnation: UInt64,
                snapshotEvery: UInt64? = nil, tickInterval: Duration, clock: any Clock<Duration>, on loop: any EventLoop,
                batching: Bool = true) throws {
        let server = try Server(config: config, bootstrap: voters, log: log, stable: stable, snapshots: snapshots,
                                machine: machine, transport: transport, incarnation: incarnation, snapshotEvery: snapshotEvery)
        (self.server, self.machine, self.tickInterval, self.clock, self.loop) = (server, machine, tickInterval, clock, loop)
        self.batching = batching
        (leadership, leadershipContinuation) = AsyncStream.makeStream(bufferingPolicy: .bufferingNewest(64))
        let (stream, inbox) = AsyncStream<Input>.makeStream()
        self.inbox = inbox
        pending = stream
    }

    /// Starts ticking and taking input.
    public func start() {
        guard ticking == nil, failure == nil, let stream = pending else { return }
        pending = nil
        let continuation = leadershipContinuation
        server.onLeadershipChange = { soft, term in
            continuation.yield(Leadership(term: term, leader: soft.leader, isLeader: soft.role == .leader))
        }
        let (clock, interval) = (clock, tickInterval)
        ticking = Task { [weak self] in
            while !Task.isCancelled {
                do { try await clock.sleep(for: interval) } catch { return }
                await self?.tick()
            }
        }
        inputs = Task { [weak self] in
            for await input in stream { await self?.take(input) }
        }
    }

    /// Stops ticking and taking input; every waiting request ends with `.stopped`.
    /// The stores stay as they are, ready to be opened again.
    public func stop() {
        if failure == nil { failure = "stopped" }
        halt()
    }

    private func halt() {
        ticking?.cancel()
        inputs?.cancel()
        inbox.finish()
        server.abandonAll()
        leadershipContinuation.finish()
    }

    private func tick() {
        server.tick()
        scheduleProcess()
    }

    // MARK: From the transport (any thread)

    /// A message from a peer.
    public nonisolated func deliver(_ message: Message) { inbox.yield(.message(message)) }
    /// Sending a snapshot to `peer` finished (or failed).
    public nonisolated func snapshotSent(to peer: NodeID, failed: Bool) { inbox.yield(.snapshotSent(to: peer, failed: failed)) }
    /// A message to `peer` could not be delivered.
    public nonisolated func unreachable(_ peer: NodeID) { inbox.yield(.unreachable(peer)) }

    private func take(_ input: Input) {
        guard failure == nil else { return }
        switch input {
        case .message(let message): server.receive(message)
        case let .snapshotSent(peer, failed): server.reportSnapshot(to: peer, failed: failed)
        case .unreachable(let peer): server.reportUnreachable(peer)
        }
        scheduleProcess()
    }

    // MARK: Requests

    /// Applies a command through the log and returns the state machine's result. Throws
    /// `.notLeader` on a follower, `.dropped` when the command was certainly not applied and
    /// `.outcomeUnknown` when it may have been (a timeout among them).
    public func apply(_ command: [UInt8], timeout: Duration) async throws(ServerError) -> [UInt8] {
        try await request(timeout: timeout) { server, done in server.apply(command, done: done) }
    }

    /// Returns once every entry before it is applied here (leader only).
    public func barrier(timeout: Duration) async throws(ServerError) {
        try await request(timeout: timeout) { server, done in server.barrier(done: done) }
    }

    /// Runs `body` on the state machine once it reflects every write acknowledged before the
    /// call, as `mode` confirms it (`.stale`: at once).
    public func read<T: Sendable>(_ mode: ReadMode, timeout: Duration, _ body: (Machine) -> T) async throws(ServerError) -> T {
        if let failure { throw .stopped(failure) }
        switch mode {
        case .stale: break
        case .default: _ = try await request(timeout: timeout) { server, done in server.read(done: done) }
        case .consistent: try await barrier(timeout: timeout)
        }
        return body(machine)
    }

    /// Confirms that this node still leads, with a quorum (hashicorp/raft's `VerifyLeader`).
    public func verifyLeader(timeout: Duration) async throws(ServerError) {
        guard server.isLeader else { throw .notLeader(leader: server.leader) }
        _ = try await request(timeout: timeout) { server, done in server.read(done: done) }
        guard server.isLeader else { throw .notLeader(leader: server.leader) }
    }

    public func addVoter(_ id: NodeID, timeout: Duration) async throws(ServerError) {
        try await changeMembership(ConfChange([.init(.addVoter, id)]), timeout: timeout)
    }

    public func addNonvoter(_ id: NodeID, timeout: Duration) async throws(ServerError) {
        try await changeMembership(ConfChange([.init(.addLearner, id)]), timeout: timeout)
    }

    /// Makes a voter a non-voter.
    public func demoteVoter(_ id: NodeID, timeout: Duration) async throws(ServerError) {
        try await addNonvoter(id, timeout: timeout)
    }

    public func removeServer(_ id: NodeID, timeout: Duration) async throws(ServerError) {
        try await changeMembership(ConfChange([.init(.remove, id)]), timeout: timeout)
    }

    /// Any membership change, joint ones included.
    public func changeMembership(_ change: ConfChange, timeout: Duration) async throws(ServerError) {
        try await request(timeout: timeout) { server, done in server.changeMembership(change, done: done) }
    }

    public func transferLeadership(to target: NodeID, timeout: Duration) async throws(ServerError) {
        try await request(timeout: timeout) { server, done in server.transferLeadership(to: target, done: done) }
    }

    public var configuration: ConfState { server.configuration }
    public var isLeader: Bool { server.isLeader }
    public var leader: NodeID { server.leader }

    public var stats: NodeStats {
        NodeStats(status: server.status, snapshotIndex: server.snapshotIndex, waiting: server.waiting, syncs: server.syncs)
    }

    // MARK: Running requests and the Ready loop

    /// Starts a request on the server and waits for its answer, abandoning it after `timeout`.
    private func request<T: Sendable>(
        timeout: Duration, _ start: (Server, @escaping (Result<T, ServerError>) -> Void) -> RequestID
    ) async throws(ServerError) -> T {
        if let failure { throw .stopped(failure) }
        let result: Result<T, ServerError> = await withCheckedContinuation { continuation in
            let id = start(server) { continuation.resume(returning: $0) }
            guard server.isWaiting(for: id) else { return }
            scheduleProcess()
            let clock = clock
            Task { [weak self] in
                try? await clock.sleep(for: timeout)
                await self?.abandon(id)
            }
        }
        return try result.get()
    }

    private func abandon(_ id: RequestID) { server.abandon(id, .timedOut) }

    /// One `process` pass for everything that arrived since the last: the node's executor runs
    /// jobs in order, so the pass comes after those already queued. Without batching, a pass
    /// for each input.
    private func scheduleProcess() {
        if !batching { return process() }
        guard !processScheduled, failure == nil else { return }
        processScheduled = true
        Task { self.process() }
    }

    private func process() {
        processScheduled = false
        guard failure == nil else { return }
        do {
            try server.process()
        } catch {
            // A store that failed may have lost a write: the node must not go on.
            failure = "\(error)"
            halt()
        }
    }
}
