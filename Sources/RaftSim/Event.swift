@_spi(Checker) import RaftCore

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
    /// The application snapshots its state machine at what it has applied and compacts the
    /// node's stored log up to there.
    case compact(NodeID)
    /// Asynchronous apply (`events.async_apply`): the application applies the committed
    /// entries the node handed out and reports them (`RawNode.advanceApply(to:)`).
    case applyEntries(NodeID)
    /// The application asks the node (a leader) to hand leadership to the second node.
    case transfer(NodeID, NodeID)
    /// The application reports to the node (a leader) that sending a snapshot to the second
    /// node finished (`failed == false`) or failed.
    case reportSnapshot(NodeID, NodeID, failed: Bool)
    /// The application reports to the node (a leader) that the second node was unreachable.
    case unreachable(NodeID, NodeID)
    /// The operator asks the node (a leader) for two changes at once, through a joint
    /// configuration left automatically or, if `explicit`, by a later `leaveJoint`.
    case enterJoint(NodeID, JointChange)
    /// The operator asks the node (a leader) to leave the joint configuration.
    case leaveJoint(NodeID)
    /// Faults stop (`Spec.liveness`): the nodes restart and the network heals (unless
    /// `liveness.heal` is false), and from here on time runs in fair rounds.
    case stabilize

    /// The node the event happens at (node 1 for network-wide events).
    public var node: NodeID {
        switch self {
        case .deliver(let m): m.to
        case .drop(let m), .duplicate(let m): m.from
        case .partition, .heal, .stabilize: 1
        case .tick(let id), .timeout(let id), .heartbeat(let id), .crash(let id), .restart(let id),
             .propose(let id), .read(let id), .reconfigure(let id, _), .ready(let id), .persist(let id), .announce(let id),
             .apply(let id), .compact(let id), .applyEntries(let id), .transfer(let id, _), .reportSnapshot(let id, _, _),
             .unreachable(let id, _), .enterJoint(let id, _), .leaveJoint(let id): id
        }
    }

    /// The second node an event names: the transferee, the peer a report is about.
    public var peer: NodeID? {
        switch self {
        case .transfer(_, let peer), .reportSnapshot(_, let peer, _), .unreachable(_, let peer): peer
        default: nil
        }
    }

    /// Every event kind's name, in `kindIndex` order.
    public static let kinds = EventKind.allCases.map(\.name)

    /// The event's kind.
    public var eventKind: EventKind {
        switch self {
        case .deliver: .deliver
        case .drop: .drop
        case .duplicate: .duplicate
        case .tick: .tick
        case .timeout: .timeout
        case .heartbeat: .heartbeat
        case .crash: .crash
        case .restart: .restart
        case .propose: .propose
        case .partition: .partition
        case .heal: .heal
        case .ready: .ready
        case .persist: .persist
        case .announce: .announce
        case .apply: .apply
        case .read: .read
        case .reconfigure: .reconfigure
        case .compact: .compact
        case .applyEntries: .applyEntries
        case .transfer: .transfer
        case .reportSnapshot: .reportSnapshot
        case .unreachable: .unreachable
        case .enterJoint: .enterJoint
        case .leaveJoint: .leaveJoint
        case .stabilize: .stabilize
        }
    }

    /// The event's kind as a number (the fuzzer weighs kinds on its hot path).
    public var kindIndex: Int { eventKind.rawValue }

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
        case .enterJoint(let id, let joint):
            (shape.change, shape.actor, shape.target) = (joint.first.kind.rawValue, id.rawValue, joint.first.node.rawValue)
        case .partition(let side):
            shape.target = UInt64(side)
        case .ready, .persist, .announce, .apply, .heal, .stabilize:
            break
        case .transfer(let id, let peer), .reportSnapshot(let id, let peer, _), .unreachable(let id, let peer):
            (shape.actor, shape.target) = (id.rawValue, peer.rawValue)
        case .tick(let id), .timeout(let id), .heartbeat(let id), .crash(let id), .restart(let id), .propose(let id), .read(let id),
             .compact(let id), .applyEntries(let id), .leaveJoint(let id):
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
        case .stabilize: return "stabilize"
        case .reconfigure(let id, let change): return "reconfigure \(id): \(change.kind.name) \(change.node)"
        case .enterJoint(let id, let joint):
            return "enter-joint \(id): \(joint.first.kind.name) \(joint.first.node), \(joint.second.kind.name) \(joint.second.node)"
                + (joint.explicit ? " (explicit leave)" : "")
        case .reportSnapshot(let id, let peer, let failed): return "report-snapshot \(id): \(peer) \(failed ? "failed" : "finished")"
        case .transfer(let id, let peer), .unreachable(let id, let peer): return "\(kind) \(id): \(peer)"
        default: return "\(kind) \(node)"
        }
    }
}

extension ConfChangeSingle.Kind {
    /// The kinds a `reconfigure` event proposes, as written in traces.
    public static let named: [(name: String, kind: Self)] = [("add-voter", .addVoter), ("add-learner", .addLearner), ("remove", .remove)]

    public var name: String { Self.named.first { $0.kind == self }?.name ?? "update" }
}

/// Two membership changes proposed together: they enter a joint configuration, which the
/// leader leaves by itself once it is applied, or (`explicit`) when asked (`Event.leaveJoint`).
public struct JointChange: Hashable, Sendable {
    public var first: ConfChangeSingle
    public var second: ConfChangeSingle
    public var explicit: Bool

    public init(_ first: ConfChangeSingle, _ second: ConfChangeSingle, explicit: Bool) {
        (self.first, self.second, self.explicit) = (first, second, explicit)
    }

    /// The change as RaftCore takes it.
    public var confChange: ConfChange {
        ConfChange([first, second], transition: explicit ? .jointExplicit : .jointImplicit)
    }
}

/// The kinds of event: each one's number (its position: in traces' encodings and the fuzzer's
/// weight tables), its name (in traces and `fuzz.weights`) and its default weight in random
/// walks. Kinds are only ever added at the end.
public enum EventKind: Int, CaseIterable, Sendable {
    case deliver, drop, duplicate, tick, timeout, heartbeat, crash, restart, propose, partition, heal
    case ready, persist, announce, apply, read, reconfigure, compact, applyEntries, transfer, reportSnapshot
    case unreachable, enterJoint, leaveJoint, stabilize

    public var name: String {
        switch self {
        case .applyEntries: "apply-entries"
        case .reportSnapshot: "report-snapshot"
        case .enterJoint: "enter-joint"
        case .leaveJoint: "leave-joint"
        default: "\(self)"
        }
    }

    /// How often a random walk picks this kind, relative to the others: message delivery and
    /// the split persistence steps most, faults least.
    public var defaultWeight: UInt64 {
        switch self {
        case .deliver: 20
        case .ready, .persist, .announce, .apply, .applyEntries: 10
        case .tick: 4
        case .heartbeat, .propose, .read, .reportSnapshot: 3
        case .drop, .timeout, .restart, .heal, .reconfigure, .compact, .transfer, .enterJoint, .leaveJoint: 2
        case .duplicate, .crash, .partition, .unreachable, .stabilize: 1
        }
    }
}
