/// What a node must persist before it speaks (rule 1): its term, its vote and its commit index.
public struct HardState: Hashable, Sendable, Codable {
    public var term: Term
    public var vote: NodeID
    public var commit: LogIndex

    public init(term: Term = .zero, vote: NodeID = .none, commit: LogIndex = .zero) {
        self.term = term
        self.vote = vote
        self.commit = commit
    }

    public var isEmpty: Bool { self == HardState() }
}

/// A node's role.
public enum Role: UInt8, Hashable, Sendable, CustomStringConvertible {
    case follower, preCandidate, candidate, leader

    public var description: String {
        switch self {
        case .follower: "follower"
        case .preCandidate: "pre-candidate"
        case .candidate: "candidate"
        case .leader: "leader"
        }
    }
}

/// Volatile state worth telling the application about; never persisted.
public struct SoftState: Hashable, Sendable {
    public var leader: NodeID
    public var role: Role

    public init(leader: NodeID, role: Role) {
        self.leader = leader
        self.role = role
    }
}
