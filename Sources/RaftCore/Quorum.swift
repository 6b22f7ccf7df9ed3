/// The outcome of an election so far.
public enum VoteResult: Hashable, Sendable {
    /// Neither won nor lost: missing votes could still decide either way.
    case pending
    /// A quorum can no longer be reached.
    case lost
    /// A quorum voted yes.
    case won
}

/// A set of voters deciding by simple majority. Pure arithmetic: it knows nothing of messages.
/// Invariant: `voters` is sorted and duplicate-free.
public struct MajorityConfig: Hashable, Sendable {
    public private(set) var voters: [NodeID]

    public init(_ voters: [NodeID] = []) { self.voters = voters.sortedUnique() }

    /// The majority, or with the `quorum-off-by-one` mutation `n / 2` (at least 1).
    func quorum(_ offByOne: Bool) -> Int { offByOne ? max(voters.count / 2, 1) : quorum }

    public func contains(_ id: NodeID) -> Bool { voters.contains(id) }

    mutating func insert(_ id: NodeID) { voters.insertSorted(id) }

    mutating func remove(_ id: NodeID) { voters.removeAll { $0 == id } }

    /// How many voters make a majority.
    @inlinable public var quorum: Int { voters.count / 2 + 1 }

    /// The largest index acknowledged by a majority, where `acked(id)` is what voter `id` has
    /// acknowledged (nil: nothing known, counts as 0). An empty configuration commits
    /// everything (`.infinity`), so that it is neutral in a joint quorum.
    public func committedIndex(quorum: Int? = nil, acked: (NodeID) -> LogIndex?) -> LogIndex {
        let n = voters.count
        guard n > 0 else { return .infinity }
        let q = min(max(quorum ?? self.quorum, 1), n)
        return withUnsafeTemporaryAllocation(of: LogIndex.self, capacity: n) { buffer in
            for (i, id) in voters.enumerated() { buffer.initializeElement(at: i, to: acked(id) ?? .zero) }
            // Insertion sort, descending: clusters are small and this allocates nothing.
            for i in 1..<n {
                let value = buffer[i]
                var j = i
                while j > 0 && buffer[j - 1] < value {
                    buffer[j] = buffer[j - 1]
                    j -= 1
                }
                buffer[j] = value
            }
            // The q-th largest index is on at least q voters.
            return buffer[q - 1]
        }
    }

    /// The election result given each voter's answer (`nil`: no answer yet). An empty
    /// configuration wins, so that it is neutral in a joint quorum.
    public func voteResult(quorum: Int? = nil, votes: (NodeID) -> Bool?) -> VoteResult {
        guard !voters.isEmpty else { return .won }
        let q = quorum ?? self.quorum
        var granted = 0
        var missing = 0
        for id in voters {
            switch votes(id) {
            case true?: granted += 1
            case false?: break
            case nil: missing += 1
            }
        }
        if granted >= q { return .won }
        if granted + missing >= q { return .pending }
        return .lost
    }
}

/// Two majority configurations that must both agree: the incoming and, while a membership
/// change is in flight, the outgoing one (joint consensus, Raft thesis §4.3). Outside a joint
/// state `outgoing` is empty and the joint config behaves as `incoming` alone.
public struct JointConfig: Hashable, Sendable {
    public var incoming: MajorityConfig
    public var outgoing: MajorityConfig

    public init(incoming: MajorityConfig = MajorityConfig(), outgoing: MajorityConfig = MajorityConfig()) {
        self.incoming = incoming
        self.outgoing = outgoing
    }

    public var isJoint: Bool { !outgoing.voters.isEmpty }

    /// Every voter of either half, sorted.
    public var voters: [NodeID] {
        // Outside a joint state, the incoming list itself (already sorted): no new array.
        isJoint ? (incoming.voters + outgoing.voters).sortedUnique() : incoming.voters
    }

    /// `offByOne` is the `quorum-off-by-one` mutation: majorities of `n / 2` voters;
    /// `incomingOnly` the `joint-quorum-incoming-only` one: the outgoing half is ignored.
    public func committedIndex(offByOne: Bool = false, incomingOnly: Bool = false, acked: (NodeID) -> LogIndex?) -> LogIndex {
        let committed = incoming.committedIndex(quorum: incoming.quorum(offByOne), acked: acked)
        return incomingOnly ? committed : min(committed, outgoing.committedIndex(quorum: outgoing.quorum(offByOne), acked: acked))
    }

    public func voteResult(offByOne: Bool = false, incomingOnly: Bool = false, votes: (NodeID) -> Bool?) -> VoteResult {
        let a = incoming.voteResult(quorum: incoming.quorum(offByOne), votes: votes)
        if incomingOnly { return a }
        let b = outgoing.voteResult(quorum: outgoing.quorum(offByOne), votes: votes)
        if a == b { return a }
        if a == .lost || b == .lost { return .lost }
        return .pending
    }
}
