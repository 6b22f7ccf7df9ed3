import NIOConcurrencyHelpers
import RaftCore

/// Nodes in one process, connected without sockets (hashicorp/raft's in-memory transport):
/// a message sent is handed to the receiving node's sink at once, in order. Members can be
/// cut off and reconnected, for tests.
public final class MemoryNetwork: Sendable {
    private struct State {
        var sinks: [NodeID: any MessageSink] = [:]
        var isolated: Set<NodeID> = []
    }

    private let state = NIOLockedValueBox(State())

    public init() {}

    /// The transport `id` sends with; what arrives for `id` goes to the sink attached later.
    public func transport(for id: NodeID) -> MemoryTransport { MemoryTransport(id: id, network: self) }

    public func attach(_ id: NodeID, _ sink: any MessageSink) { state.withLockedValue { $0.sinks[id] = sink } }

    /// Messages to and from `id` are lost (and reported unreachable) until `reconnect`.
    public func isolate(_ id: NodeID) { state.withLockedValue { _ = $0.isolated.insert(id) } }
    public func reconnect(_ id: NodeID) { state.withLockedValue { _ = $0.isolated.remove(id) } }

    func carry(_ message: Message) {
        let (from, to) = state.withLockedValue { state in
            (state.sinks[message.from],
             state.isolated.contains(message.from) || state.isolated.contains(message.to) ? nil : state.sinks[message.to])
        }
        if let to { to.deliver(message) } else { from?.unreachable(message.to) }
        if message.type == .snapshot { from?.snapshotSent(to: message.to, failed: to == nil) }
    }
}

/// One node's end of a `MemoryNetwork`.
public final class MemoryTransport: Transport, Sendable {
    public let id: NodeID
    private let network: MemoryNetwork

    init(id: NodeID, network: MemoryNetwork) { (self.id, self.network) = (id, network) }

    public func send(_ message: Message) { network.carry(message) }
}
