/// The membership configuration a leader tracks. Lists are sorted and duplicate-free.
/// Invariant: no ID is both a voter (of either half) and a learner; `learnersNext` are voters
/// of the outgoing half only.
public struct TrackerConfig: Hashable, Sendable {
    public var voters = JointConfig()
    public var learners: [NodeID] = []
    public var learnersNext: [NodeID] = []
    public var autoLeave = false

    public init() {}

    public init(_ confState: ConfState) {
        voters = JointConfig(incoming: MajorityConfig(confState.voters), outgoing: MajorityConfig(confState.votersOutgoing))
        learners = confState.learners
        learnersNext = confState.learnersNext
        autoLeave = confState.autoLeave
    }

    public var confState: ConfState {
        ConfState(voters: voters.incoming.voters, learners: learners, votersOutgoing: voters.outgoing.voters,
                  learnersNext: learnersNext, autoLeave: autoLeave)
    }

    /// Every member, voter or learner, sorted.
    public var members: [NodeID] { (voters.voters + learners + learnersNext).sortedUnique() }
}

/// Per-peer progress and election votes, kept as arrays sorted by node ID so that every
/// iteration is in one deterministic order (never a hashed collection's order).
public struct ProgressTracker: Hashable, Sendable {
    public internal(set) var config: TrackerConfig
    public internal(set) var ids: [NodeID] = []
    public internal(set) var progresses: [Progress] = []
    /// A voter's answer in the current election.
    public struct Vote: Hashable, Sendable {
        public var voter: NodeID
        public var granted: Bool
    }

    /// Vote answers of the current election, sorted by voter.
    public internal(set) var votes: [Vote] = []
    let maxInflight: Int
    /// TEST-ONLY mutations that change the counting (`quorum-off-by-one`, `count-duplicate-votes`).
    var countingMutations: Mutation = []

    init(config: TrackerConfig, maxInflight: Int) {
        self.config = config
        self.maxInflight = maxInflight
        for id in config.members {
            ids.append(id)
            progresses.append(Progress(next: 1, inflightCapacity: maxInflight, isLearner: !config.voters.voters.contains(id)))
        }
    }

    @inlinable func position(of id: NodeID) -> Int? { ids.firstIndex(of: id) }

    /// A copy of the progress of `id`, nil if untracked. Hot paths read fields in place with
    /// `progress(of:_:)` or test with `tracks(_:)`: a copy retains the inflight buffer.
    public subscript(id: NodeID) -> Progress? { progress(of: id) { $0 } }

    /// Whether `id` is tracked (a voter or a learner).
    @inlinable public func tracks(_ id: NodeID) -> Bool { position(of: id) != nil }

    /// What `read` derives from the progress of `id`, read in place; nil if untracked.
    @inlinable
    public func progress<T>(of id: NodeID, _ read: (Progress) -> T) -> T? {
        guard let i = position(of: id) else { return nil }
        return read(progresses[i])
    }

    /// Applies `body` to the progress of `id`, if tracked; returns its result.
    @discardableResult
    mutating func update<R>(_ id: NodeID, _ body: (inout Progress) -> R) -> R? {
        guard let i = position(of: id) else { return nil }
        return body(&progresses[i])
    }

    /// Applies `body` to every tracked progress, in ID order.
    mutating func updateAll(_ body: (NodeID, inout Progress) -> Void) {
        for i in ids.indices { body(ids[i], &progresses[i]) }
    }

    /// The voters, in ID order.
    public var voterIDs: [NodeID] { config.voters.voters }

    public var isSingleton: Bool { !config.voters.isJoint && config.voters.incoming.voters.count == 1 }

    /// Whether the configuration keeps `TrackerConfig`'s invariants and the progress agrees with
    /// it: learner lists sorted and duplicate-free; no learner a voter of either half;
    /// `learnersNext` outgoing voters only, and only while joint, as is auto-leave; exactly the
    /// members tracked, each progress marked learner exactly when its node is one.
    /// Checked on every state the explorer reaches, so it allocates nothing.
    public var isWellFormed: Bool {
        let incoming = config.voters.incoming, outgoing = config.voters.outgoing
        func increasing(_ list: [NodeID]) -> Bool { list.indices.dropFirst().allSatisfy { list[$0 - 1] < list[$0] } }
        guard increasing(config.learners), increasing(config.learnersNext), increasing(ids),
              config.learners.allSatisfy({ !incoming.contains($0) && !outgoing.contains($0) }),
              config.learnersNext.allSatisfy({ outgoing.contains($0) && !incoming.contains($0) }),
              config.voters.isJoint || (config.learnersNext.isEmpty && !config.autoLeave),
              incoming.voters.allSatisfy(tracks), outgoing.voters.allSatisfy(tracks), config.learners.allSatisfy(tracks) else { return false }
        return ids.indices.allSatisfy { i in
            let learner = config.learners.contains(ids[i])
            return progresses[i].isLearner == learner && (learner || incoming.contains(ids[i]) || outgoing.contains(ids[i]))
        }
    }

    /// The `joint-quorum-incoming-only` mutation: a joint configuration's outgoing half is ignored.
    private var incomingOnly: Bool { countingMutations.contains(.jointQuorumIncomingOnly) }

    /// The largest index acknowledged by a (joint) quorum of voters.
    func committed() -> LogIndex {
        config.voters.committedIndex(offByOne: countingMutations.contains(.quorumOffByOne), incomingOnly: incomingOnly) { id in
            progress(of: id) { $0.match }
        }
    }

    /// Whether a quorum of voters was recently active (the leader counts itself active).
    func quorumActive(leader: NodeID) -> Bool {
        config.voters.voteResult(offByOne: countingMutations.contains(.quorumOffByOne), incomingOnly: incomingOnly) { id in
            progress(of: id) { id == leader || $0.recentActive }
        } == .won
    }

    // MARK: Votes

    mutating func resetVotes() { votes.removeAll(keepingCapacity: true) }

    /// Records `id`'s answer; only the first answer of each voter counts (rule 7), unless the
    /// `count-duplicate-votes` mutation keeps repeats too.
    mutating func recordVote(_ id: NodeID, granted: Bool) {
        let at = votes.firstIndex { $0.voter >= id } ?? votes.count
        if at < votes.count && votes[at].voter == id && !countingMutations.contains(.countDuplicateVotes) { return }
        votes.insert(Vote(voter: id, granted: granted), at: at)
    }

    func vote(of id: NodeID) -> Bool? {
        votes.first { $0.voter == id }?.granted
    }

    /// Granted and rejected counts, and the election result under the joint quorum.
    func tallyVotes() -> (granted: Int, rejected: Int, result: VoteResult) {
        let granted = votes.count { $0.granted }
        let offByOne = countingMutations.contains(.quorumOffByOne)
        var result = config.voters.voteResult(offByOne: offByOne, incomingOnly: incomingOnly) { vote(of: $0) }
        if countingMutations.contains(.countDuplicateVotes) && granted >= config.voters.incoming.quorum(offByOne) {
            result = .won  // Every granted response counted, repeats included.
        }
        return (granted, votes.count - granted, result)
    }

    // MARK: Membership

    /// Starts tracking `id` with `progress` (replacing any progress it had).
    mutating func insert(_ id: NodeID, _ progress: Progress) {
        if let i = position(of: id) {
            progresses[i] = progress
            return
        }
        let at = ids.firstIndex { $0 > id } ?? ids.count
        ids.insert(id, at: at)
        progresses.insert(progress, at: at)
    }

    /// Stops tracking `id`.
    mutating func removeProgress(_ id: NodeID) {
        guard let i = position(of: id) else { return }
        ids.remove(at: i)
        progresses.remove(at: i)
    }

    /// A tracker for `config` (e.g. restored from a snapshot): every member probes from `next`.
    func restored(_ config: TrackerConfig, next: LogIndex) -> ProgressTracker {
        var tracker = ProgressTracker(config: config, maxInflight: maxInflight)
        tracker.updateAll { _, progress in
            progress.next = next
            progress.recentActive = true
        }
        return tracker
    }
}
