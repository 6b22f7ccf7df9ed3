@_spi(Checker) import RaftCore

/// A counterexample or reproduction, versioned: the whole spec (so replay needs nothing else),
/// the mutation, the seed, the events, and the violation. Encoded as JSON by the command line
/// with snake_case keys; documented in specs/README.md.
/// Written by `TraceFile`, which also reads it back (the spec through the spec loader).
public struct Trace: Encodable, Hashable, Sendable {
    public static let formatName = "raftcheck-trace"
    public static let currentVersion = 2

    public var format = Trace.formatName
    public var version = Trace.currentVersion
    public var tool: String
    public var spec: Spec
    public var mutation: String?
    public var seed: UInt64?
    /// The run of a fuzz campaign that found it (with `seed`, it replays alone).
    public var run: Int?
    public var events: [TraceEvent]
    public var violation: TraceViolation?

    public init(tool: String, spec: Spec, seed: UInt64?, run: Int? = nil, events: [Event], violation: TraceViolation?) {
        self.tool = tool
        self.spec = spec
        self.mutation = spec.mutation
        self.seed = seed
        self.run = run
        self.events = events.map(TraceEvent.init)
        self.violation = violation
    }
}

public struct TraceViolation: Codable, Hashable, Sendable {
    public var property: String
    /// The number of events after which the property first fails (0: the initial state).
    public var step: Int
    public var message: String

    public init(property: String, step: Int, message: String) {
        self.property = property
        self.step = step
        self.message = message
    }
}

/// An event as written in a trace: its kind, and its node or message.
public struct TraceEvent: Codable, Hashable, Sendable {
    public var kind: String
    public var node: UInt64?
    /// A message in RaftCore's own `Codable` form.
    public var message: Message?
    /// `partition`: the nodes split off from the others.
    public var side: [UInt64]?
    /// `reconfigure`: the membership change asked for; `enter-joint`: the first of two.
    public var change: WireConfChange?
    /// `enter-joint`: the second change.
    public var second: WireConfChange?
    /// `enter-joint`: whether the joint configuration is left explicitly (`leave-joint`).
    public var explicit: Bool?
    /// `transfer`, `report-snapshot`, `unreachable`: the other node named.
    public var peer: UInt64?
    /// `report-snapshot`: whether sending the snapshot failed.
    public var failed: Bool?

    public init(_ event: Event) {
        kind = event.kind
        switch event {
        case .partition(let mask):
            side = (0..<8).filter { mask & (1 << $0) != 0 }.map { UInt64($0 + 1) }
        case .heal, .stabilize:
            break
        case .reconfigure(let id, let change):
            node = id.rawValue
            self.change = WireConfChange(change)
        case .enterJoint(let id, let joint):
            node = id.rawValue
            (change, second, explicit) = (WireConfChange(joint.first), WireConfChange(joint.second), joint.explicit)
        case .reportSnapshot(let id, let peer, let failed):
            (node, self.peer, self.failed) = (id.rawValue, peer.rawValue, failed)
        case .transfer(let id, let peer), .unreachable(let id, let peer):
            (node, self.peer) = (id.rawValue, peer.rawValue)
        default:
            if let message = event.message {
                self.message = message
            } else {
                node = event.node.rawValue
            }
        }
    }

    /// Why a trace event cannot be turned back into an event.
    public enum Invalid: Error, Equatable, CustomStringConvertible {
        case unknownKind(String)
        case missing(String)
        case unknownChangeType(String)

        public var description: String {
            switch self {
            case .unknownKind(let kind): "unknown event kind '\(kind)'"
            case .missing(let field): "missing field '\(field)'"
            case .unknownChangeType(let type):
                "unknown change type '\(type)' (known: \(ConfChangeSingle.Kind.named.map(\.name).joined(separator: ", ")))"
            }
        }
    }

    public func event() throws(Invalid) -> Event {
        let messageKinds = ["deliver", "drop", "duplicate"]
        if messageKinds.contains(kind) {
            guard let m = message else { throw .missing("message") }
            switch kind {
            case "deliver": return .deliver(m)
            case "drop": return .drop(m)
            default: return .duplicate(m)
            }
        }
        if kind == "heal" { return .heal }
        if kind == "stabilize" { return .stabilize }
        if kind == "partition" {
            guard let side else { throw .missing("side") }
            var mask: UInt8 = 0
            for id in side {
                guard (1...8).contains(id) else { throw .missing("side (node IDs 1...8)") }
                mask |= 1 << UInt8(id - 1)
            }
            return .partition(mask)
        }
        guard let node else {
            if Event.kinds.contains(kind) { throw .missing("node") }
            throw .unknownKind(kind)
        }
        let id = NodeID(node)
        switch kind {
        case "tick": return .tick(id)
        case "timeout": return .timeout(id)
        case "heartbeat": return .heartbeat(id)
        case "crash": return .crash(id)
        case "restart": return .restart(id)
        case "propose": return .propose(id)
        case "read": return .read(id)
        case "reconfigure":
            guard let change else { throw .missing("change") }
            return .reconfigure(id, try change.single())
        case "enter-joint":
            guard let change else { throw .missing("change") }
            guard let second else { throw .missing("second") }
            guard let explicit else { throw .missing("explicit") }
            return .enterJoint(id, JointChange(try change.single(), try second.single(), explicit: explicit))
        case "leave-joint": return .leaveJoint(id)
        case "ready": return .ready(id)
        case "persist": return .persist(id)
        case "announce": return .announce(id)
        case "apply": return .apply(id)
        case "compact": return .compact(id)
        case "apply-entries": return .applyEntries(id)
        case "transfer", "report-snapshot", "unreachable":
            guard let peer else { throw .missing("peer") }
            if kind == "transfer" { return .transfer(id, NodeID(peer)) }
            if kind == "unreachable" { return .unreachable(id, NodeID(peer)) }
            guard let failed else { throw .missing("failed") }
            return .reportSnapshot(id, NodeID(peer), failed: failed)
        default: throw .unknownKind(kind)
        }
    }
}

/// A membership change as written in a trace: `add-voter`, `add-learner` or `remove`, and
/// the node.
public struct WireConfChange: Codable, Hashable, Sendable {
    public var type: String
    public var node: UInt64

    init(_ change: ConfChangeSingle) {
        (type, node) = (change.kind.name, change.node.rawValue)
    }

    func single() throws(TraceEvent.Invalid) -> ConfChangeSingle {
        guard let kind = ConfChangeSingle.Kind.named.first(where: { $0.name == type })?.kind else { throw .unknownChangeType(type) }
        return ConfChangeSingle(kind, NodeID(node))
    }
}

