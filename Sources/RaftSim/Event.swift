import RaftCore

/// One step of the simulated world: the alphabet the explorer permutes. Messages are named by
/// content, not by position, so a trace survives minimization.
public enum Event: Hashable, Sendable {
    /// The network delivers one copy of the message (its receiver then carries out its Ready,
    /// in atomic mode).
    case deliver(Message)
    /// The network loses one copy of the message.
    case drop(Message)
    /// The network makes one more copy of the message.
    case duplicate(Message)
    /// The node's clock ticks once.
    case tick(NodeID)
    /// The node ticks until its election timeout fires.
    case timeout(NodeID)
    /// The leader ticks until it sends a heartbeat round.
    case heartbeat(NodeID)
    /// The node crashes: it loses everything not persisted.
    case crash(NodeID)
    /// The node restarts from its storage.
    case restart(NodeID)
    /// A client proposes the next value to the node (a leader).
    case propose(NodeID)
    /// A client asks the node (a leader) for a linearizable read (ReadIndex or lease).
    case read(NodeID)
    /// The operator asks the node (a leader) for a single-step membership change.
    case reconfigure(NodeID, ConfChangeSingle)
    /// The network splits off the nodes in the bit set (bit i: node i + 1) from the others.
    case partition(UInt8)
    /// The network heals: every node reaches every other again.
    case heal
    /// Split Ready steps: take the Ready and send `messages`; persist; send
    /// `messagesAfterPersist`; apply committed entries and advance.
    case ready(NodeID)
    case persist(NodeID)
    case announce(NodeID)
    case apply(NodeID)

    /// The node the event happens at (node 1 for network-wide events).
    public var node: NodeID {
        switch self {
        case .deliver(let m): m.to
        case .drop(let m), .duplicate(let m): m.from
        case .partition, .heal: 1
        case .tick(let id), .timeout(let id), .heartbeat(let id), .crash(let id), .restart(let id),
             .propose(let id), .read(let id), .reconfigure(let id, _), .ready(let id), .persist(let id), .announce(let id),
             .apply(let id): id
        }
    }

    /// Every event kind, as named in traces and in `fuzz.weights`, in `kindIndex` order.
    public static let kinds = ["deliver", "drop", "duplicate", "tick", "timeout", "heartbeat", "crash", "restart",
                               "propose", "partition", "heal", "ready", "persist", "announce", "apply", "read", "reconfigure"]

    /// The event's kind: its position in `kinds` (the fuzzer weighs kinds on its hot path).
    public var kindIndex: Int {
        switch self {
        case .deliver: 0
        case .drop: 1
        case .duplicate: 2
        case .tick: 3
        case .timeout: 4
        case .heartbeat: 5
        case .crash: 6
        case .restart: 7
        case .propose: 8
        case .partition: 9
        case .heal: 10
        case .ready: 11
        case .persist: 12
        case .announce: 13
        case .apply: 14
        case .read: 15
        case .reconfigure: 16
        }
    }

    /// The event's kind, as written in traces.
    public var kind: String { Self.kinds[kindIndex] }

    public var message: Message? {
        switch self {
        case .deliver(let m), .drop(let m), .duplicate(let m): m
        default: nil
        }
    }
}

/// An event with the details a shorter trace would change left out: its kind, its message's
/// type and term, and the nodes it involves (sender and receiver, or the node that acts, and
/// the node a membership change names). Split Ready steps keep only their kind: they carry out
/// what an earlier event started, at whichever node it happened.
public struct EventShape: Hashable, Sendable {
    var kind: UInt8
    var messageType: UInt8 = 0
    var term: UInt64 = 0
    var change: UInt8 = 0
    var actor: UInt64 = 0
    var target: UInt64 = 0
}

extension Event {
    public var shape: EventShape {
        var shape = EventShape(kind: UInt8(kindIndex))
        switch self {
        case .deliver(let m), .drop(let m), .duplicate(let m):
            (shape.messageType, shape.term, shape.actor, shape.target) = (m.type.rawValue, m.term.rawValue, m.from.rawValue, m.to.rawValue)
        case .reconfigure(let id, let change):
            (shape.change, shape.actor, shape.target) = (change.kind.rawValue, id.rawValue, change.node.rawValue)
        case .partition(let side):
            shape.target = UInt64(side)
        case .ready, .persist, .announce, .apply, .heal:
            break
        case .tick(let id), .timeout(let id), .heartbeat(let id), .crash(let id), .restart(let id), .propose(let id), .read(let id):
            shape.actor = id.rawValue
        }
        return shape
    }
}

extension Event: CustomStringConvertible {
    public var description: String {
        if let message { return "\(kind) \(message)" }
        switch self {
        case .partition(let side): return "partition \((0..<8).filter { side & (1 << $0) != 0 }.map { "\($0 + 1)" }.joined(separator: ",")) | rest"
        case .heal: return "heal"
        case .reconfigure(let id, let change): return "reconfigure \(id): \(change.kind.name) \(change.node)"
        default: return "\(kind) \(node)"
        }
    }
}

extension ConfChangeSingle.Kind {
    /// The kinds a `reconfigure` event proposes, as written in traces.
    public static let named: [(name: String, kind: Self)] = [("add-voter", .addVoter), ("add-learner", .addLearner), ("remove", .remove)]

    public var name: String { Self.named.first { $0.kind == self }?.name ?? "update" }
}
