/// Membership changes on a progress tracker: the configuration and the progress of each member
/// change together. Each operation returns a new tracker or throws, leaving `self` untouched.
///
/// A node added by a change starts probing at `max(lastIndex, 1)`, marked recently active so
/// that CheckQuorum does not count it as silent before it could answer.
extension ProgressTracker {
    /// Enters a joint configuration: the current voters become the outgoing half, `changes`
    /// shape the incoming half.
    public func enteringJoint(_ changes: [ConfChangeSingle], autoLeave: Bool, lastIndex: LogIndex) throws(ConfChangeError) -> ProgressTracker {
        guard !config.voters.isJoint else { throw .alreadyJoint }
        guard !config.voters.incoming.voters.isEmpty else { throw .zeroVoterJoint }
        var next = self
        next.config.voters.outgoing = config.voters.incoming
        try next.apply(changes, lastIndex: lastIndex)
        next.config.autoLeave = autoLeave
        return next
    }

    /// Leaves the joint configuration: the outgoing half is dropped, `learnersNext` become
    /// learners (keeping their progress), and members of neither kind stop being tracked.
    public func leavingJoint() throws(ConfChangeError) -> ProgressTracker {
        guard config.voters.isJoint else { throw .notJoint }
        var next = self
        for id in config.learnersNext {
            next.config.learners.insertSorted(id)
            next.update(id) { $0.isLearner = true }
        }
        next.config.learnersNext = []
        for id in config.voters.outgoing.voters
        where !next.config.voters.incoming.contains(id) && !next.config.learners.contains(id) {
            next.removeProgress(id)
        }
        next.config.voters.outgoing = MajorityConfig()
        next.config.autoLeave = false
        return next
    }

    /// A single-step change: at most one voter may be added or removed (safe without a joint
    /// phase because any two majorities of the old and new sets overlap).
    public func applyingSimple(_ changes: [ConfChangeSingle], lastIndex: LogIndex) throws(ConfChangeError) -> ProgressTracker {
        guard !config.voters.isJoint else { throw .simpleInJoint }
        var next = self
        try next.apply(changes, lastIndex: lastIndex)
        let before = config.voters.incoming.voters, after = next.config.voters.incoming.voters
        let changed = before.count { !after.contains($0) } + after.count { !before.contains($0) }
        guard changed <= 1 else { throw .moreThanOneVoterChanged }
        return next
    }

    /// Applies `change` as a whole: leave, enter joint, or single-step.
    public func applying(_ change: ConfChange, lastIndex: LogIndex) throws(ConfChangeError) -> ProgressTracker {
        if change.isLeaveJoint { return try leavingJoint() }
        let (joint, autoLeave) = change.entersJoint
        if joint { return try enteringJoint(change.changes, autoLeave: autoLeave, lastIndex: lastIndex) }
        return try applyingSimple(change.changes, lastIndex: lastIndex)
    }

    // MARK: Steps on the incoming half

    private mutating func apply(_ changes: [ConfChangeSingle], lastIndex: LogIndex) throws(ConfChangeError) {
        for change in changes where change.node != .none {
            switch change.kind {
            case .addVoter: makeVoter(change.node, lastIndex: lastIndex)
            case .addLearner: makeLearner(change.node, lastIndex: lastIndex)
            case .remove: remove(change.node)
            case .update: break
            }
        }
        guard !config.voters.incoming.voters.isEmpty else { throw .removedAllVoters }
    }

    private mutating func makeVoter(_ id: NodeID, lastIndex: LogIndex) {
        guard self[id] != nil else {
            config.voters.incoming.insert(id)
            insert(id, newProgress(lastIndex: lastIndex, isLearner: false))
            return
        }
        update(id) { $0.isLearner = false }
        config.learners.removeAll { $0 == id }
        config.learnersNext.removeAll { $0 == id }
        config.voters.incoming.insert(id)
    }

    /// A voter of the outgoing half cannot be a learner while it still votes there: it waits in
    /// `learnersNext` until the joint configuration is left.
    private mutating func makeLearner(_ id: NodeID, lastIndex: LogIndex) {
        guard let progress = self[id] else {
            config.learners.insertSorted(id)
            insert(id, newProgress(lastIndex: lastIndex, isLearner: true))
            return
        }
        guard !progress.isLearner else { return }
        remove(id)
        insert(id, progress)  // A demotion keeps the progress.
        if config.voters.outgoing.contains(id) {
            config.learnersNext.insertSorted(id)
        } else {
            update(id) { $0.isLearner = true }
            config.learners.insertSorted(id)
        }
    }

    /// Removes `id` from the incoming half and the learners; its progress stays while the
    /// outgoing half still counts it.
    private mutating func remove(_ id: NodeID) {
        guard self[id] != nil else { return }
        config.voters.incoming.remove(id)
        config.learners.removeAll { $0 == id }
        config.learnersNext.removeAll { $0 == id }
        if !config.voters.outgoing.contains(id) { removeProgress(id) }
    }

    private func newProgress(lastIndex: LogIndex, isLearner: Bool) -> Progress {
        var progress = Progress(next: max(lastIndex, 1), inflightCapacity: maxInflight, isLearner: isLearner)
        progress.recentActive = true
        return progress
    }
}
