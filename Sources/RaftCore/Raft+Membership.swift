/// Membership changes (rule 15) and leadership transfer (rule 19).
extension Raft {
    // MARK: Configuration changes

    /// Screens the configuration changes among proposed `entries`: a change the leader cannot
    /// accept now becomes an empty normal entry, so the proposal's indexes stay as they were.
    /// Refused: a change while an earlier one is unapplied, and a change the configuration in
    /// force does not admit (the changer's refusals: anything but leaving while joint, leaving
    /// while not joint, no voter left). With no change
    /// unapplied, the configuration in force is the one a kept change will be applied to, so
    /// every node applies it without refusal.
    mutating func screenConfChanges(_ entries: inout [Entry]) {
        for i in entries.indices where entries[i].kind == .confChange {
            let change = ConfChange(encoded: entries[i].data)
            let pending = pendingConfIndex > log.applied && !options.mutations.contains(.twoPendingConfChanges)
            if let change, !pending, (try? tracker.applying(change, lastIndex: log.lastIndex)) != nil {
                pendingConfIndex = log.lastIndex + UInt64(i + 1)
            } else {
                entries[i] = Entry(term: .zero, index: .zero)
            }
        }
    }

    /// Applies a committed configuration change (the application calls this as it applies the
    /// change's entry) and returns the new configuration, for the application to persist.
    mutating func applyConfChange(_ change: ConfChange) throws(ConfChangeError) -> ConfState {
        let next = try tracker.applying(change, lastIndex: log.lastIndex)
        switchToConfig(next)
        return tracker.config.confState
    }

    private mutating func switchToConfig(_ next: ProgressTracker) {
        tracker = next
        guard role == .leader else { return }
        if tracker.progress(of: id, { $0.isLearner }) ?? true, options.stepDownOnRemoval {
            becomeFollower(term: term, leader: .none)
            return
        }
        if leadTransferee != .none && !tracker.config.voters.voters.contains(leadTransferee) {
            leadTransferee = .none
        }
        // Quorums changed: entries may commit now, and new members need their first append.
        if maybeCommit() {
            bcastAppend()
        } else {
            for peer in tracker.ids where peer != id { maybeSendAppend(to: peer, sendIfEmpty: false) }
        }
    }

    /// Records that the application applied up to `index`.
    mutating func appliedTo(_ index: LogIndex) {
        log.appliedTo(index)
        maybeAutoLeave()
    }

    /// A leader in a joint configuration with auto-leave proposes leaving it once the change
    /// that entered it is applied. A leader offering a transfer refuses proposals, this one
    /// too, so it is asked again when the transfer ends (`abandonTransfer`): an idle cluster
    /// would otherwise stay joint (rule 19).
    mutating func maybeAutoLeave() {
        guard tracker.config.autoLeave && log.applied >= pendingConfIndex && role == .leader else { return }
        try? step(Message(type: .propose, from: id, entries: [ConfChange.leaveJoint.entry]))
    }

    // MARK: Leadership transfer

    /// Hands leadership to `m.from`: proposals stop, the target is brought up to date, then
    /// told to campaign at once. Abandoned after an election timeout.
    mutating func handleTransferLeader(_ m: Message) {
        let target = m.from
        guard let progress = tracker[target], !progress.isLearner else { return }
        if leadTransferee == target { return }
        guard target != id else {
            abandonTransfer()
            return
        }
        electionElapsed = 0
        leadTransferee = target
        if progress.match == log.lastIndex {
            sendTimeoutNow(to: target)
        } else {
            sendAppend(to: target)
        }
    }

    /// Gives up the transfer under way, if any, this node still leading: it takes proposals
    /// again, first its own auto-leave if that was refused meanwhile.
    mutating func abandonTransfer() {
        guard leadTransferee != .none else { return }
        leadTransferee = .none
        if !options.mutations.contains(.autoLeaveOnlyOnApply) { maybeAutoLeave() }
    }

    mutating func sendTimeoutNow(to target: NodeID) {
        leaseForfeited = true
        send(Message(type: .timeoutNow, to: target))
    }
}
