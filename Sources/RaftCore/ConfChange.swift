/// One membership operation on one node.
public struct ConfChangeSingle: Hashable, Sendable {
    public enum Kind: UInt8, Hashable, Sendable {
        /// Make the node a voter (adding it, or promoting a learner).
        case addVoter
        /// Make the node a learner (adding it, or demoting a voter).
        case addLearner
        /// Remove the node (absent nodes are ignored).
        case remove
        /// Changes nothing Raft tracks; carries application data through the log.
        case update
    }

    public var kind: Kind
    public var node: NodeID

    public init(_ kind: Kind, _ node: NodeID) {
        self.kind = kind
        self.node = node
    }
}

/// A membership change, proposed as a log entry of kind `.confChange` and applied when the
/// application applies that entry (`RawNode.applyConfChange`), never when it is appended.
///
/// - No changes: leave the joint configuration.
/// - One voter added or removed (any number of learner changes), `transition == .auto`: a
///   single-step change.
/// - Otherwise: enter a joint configuration; with `.auto` or `.jointImplicit` the leader leaves
///   it by itself once the change is applied (auto-leave), with `.jointExplicit` the application
///   proposes the empty change that leaves it.
public struct ConfChange: Hashable, Sendable {
    public enum Transition: UInt8, Hashable, Sendable {
        case auto, jointImplicit, jointExplicit
    }

    public var changes: [ConfChangeSingle]
    public var transition: Transition

    public init(_ changes: [ConfChangeSingle] = [], transition: Transition = .auto) {
        self.changes = changes
        self.transition = transition
    }

    /// The empty change: leave the joint configuration.
    public static let leaveJoint = ConfChange()

    public var isLeaveJoint: Bool { changes.isEmpty && transition == .auto }

    /// Whether applying it enters a joint configuration, and with auto-leave.
    public var entersJoint: (joint: Bool, autoLeave: Bool) {
        guard transition != .auto || changes.count > 1 else { return (false, false) }
        return (true, transition != .jointExplicit)
    }

    // MARK: Encoding (the entry's data)

    /// `[transition, count, (kind, node as 8 little-endian bytes) × count]`.
    public var encoded: [UInt8] {
        var bytes: [UInt8] = [transition.rawValue, UInt8(clamping: changes.count)]
        bytes.reserveCapacity(2 + 9 * changes.count)
        for change in changes {
            bytes.append(change.kind.rawValue)
            withUnsafeBytes(of: change.node.rawValue.littleEndian) { bytes.append(contentsOf: $0) }
        }
        return bytes
    }

    /// Decodes `encoded`; nil for bytes that are not a conf change.
    public init?(encoded bytes: [UInt8]) {
        guard bytes.count >= 2, let transition = Transition(rawValue: bytes[0]),
              bytes.count == 2 + 9 * Int(bytes[1]) else { return nil }
        var changes: [ConfChangeSingle] = []
        for i in 0..<Int(bytes[1]) {
            let at = 2 + 9 * i
            guard let kind = ConfChangeSingle.Kind(rawValue: bytes[at]) else { return nil }
            var raw: UInt64 = 0
            for b in (0..<8).reversed() { raw = raw << 8 | UInt64(bytes[at + 1 + b]) }
            changes.append(ConfChangeSingle(kind, NodeID(raw)))
        }
        self.init(changes, transition: transition)
    }

    /// The log entry that proposes this change.
    public var entry: Entry { Entry(term: .zero, index: .zero, kind: .confChange, data: encoded) }
}

/// Why a membership change cannot be applied to the current configuration.
public enum ConfChangeError: Error, Hashable, Sendable, CustomStringConvertible {
    case alreadyJoint
    case zeroVoterJoint
    case notJoint
    case simpleInJoint
    case moreThanOneVoterChanged
    case removedAllVoters

    public var description: String {
        switch self {
        case .alreadyJoint: "config is already joint"
        case .zeroVoterJoint: "can't make a zero-voter config joint"
        case .notJoint: "can't leave a non-joint config"
        case .simpleInJoint: "can't apply simple config change in joint config"
        case .moreThanOneVoterChanged: "more than one voter changed without entering joint config"
        case .removedAllVoters: "removed all voters"
        }
    }
}
