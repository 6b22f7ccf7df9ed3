/// Log replication: the leader's sending and flow control, the follower's append handling,
/// and the commit rule.
extension Raft {
    // MARK: Leader

    /// Appends `entries` (renumbered into this term after the last index) to the leader's log.
    /// The leader's own acknowledgement counts once they are durable (rule 2).
    mutating func appendEntries(_ entries: [Entry]) {
        var entries = entries
        let last = log.lastIndex
        for i in entries.indices {
            entries[i].term = term
            entries[i].index = last + UInt64(i + 1)
        }
        let newLast = log.append(entries)
        send(Message(type: .appendResponse, to: id, index: newLast))
    }

    /// Commits the quorum's acknowledged index if it is an entry of this term (rule 6); reads
    /// held for the term's first commit are answered then.
    mutating func maybeCommit() -> Bool {
        guard log.maybeCommit(tracker.committed(), term: term,
                              ignoreTerm: options.mutations.contains(.commitPreviousTerm)) else { return false }
        releasePendingReadIndexMessages()
        return true
    }

    mutating func bcastAppend() {
        for peer in tracker.ids where peer != id { sendAppend(to: peer) }
    }

    mutating func sendAppend(to peer: NodeID) {
        maybeSendAppend(to: peer, sendIfEmpty: true)
    }

    /// Sends `peer` the entries from its `next` (an empty append when `sendIfEmpty`), unless
    /// flow control pauses it. Returns whether a message went out. In replicate state with a
    /// full window only an empty append is sent, so a lost window still gets answered and freed.
    /// When an entry the peer needs was compacted, it gets the snapshot instead.
    @discardableResult
    mutating func maybeSendAppend(to peer: NodeID, sendIfEmpty: Bool) -> Bool {
        // Where the peer's entries start and whether its window has room for more; nil if the
        // peer is untracked or paused.
        let window = tracker.progress(of: peer) { $0.isPaused ? nil : (next: $0.next, open: $0.state != .replicate || !$0.inflights.isFull) }
        guard let (next, windowOpen) = window ?? nil else { return false }
        let prevIndex = next - 1
        guard let prevTerm = try? log.term(at: prevIndex) else { return sendSnapshot(to: peer) }
        var entries: [Entry] = []
        if windowOpen {
            guard let batch = try? log.entries(from: next, maxSize: options.maxSizePerMessage) else {
                return sendSnapshot(to: peer)
            }
            entries = batch
        }
        if entries.isEmpty && !sendIfEmpty { return false }
        send(Message(type: .append, to: peer, logTerm: prevTerm, index: prevIndex,
                     entries: entries, commit: log.committed))
        tracker.update(peer) { $0.sentEntries(entries.count) }
        return true
    }

    /// Heartbeats carry the latest pending read round, so they confirm waiting reads too.
    /// Heartbeats carry the latest read round, or under lease reads the time they were sent
    /// (`leaseClock + 1`, never 0), echoed by the responses.
    mutating func bcastHeartbeat() {
        let round = options.readOnlyOption == .leaseBased ? leaseClock + 1 : readOnly.latestPendingRound
        for peer in tracker.ids where peer != id { sendHeartbeat(to: peer, round: round) }
    }

    /// A heartbeat commits at most what the peer is known to hold (rule 5).
    mutating func sendHeartbeat(to peer: NodeID, round: UInt64) {
        guard let match = tracker.progress(of: peer, { $0.match }) else { return }
        let commit = options.mutations.contains(.heartbeatCommitUnsynced) ? log.committed : min(match, log.committed)
        send(Message(type: .heartbeat, to: peer, commit: commit, context: round))
    }

    mutating func handleAppendResponse(_ m: Message) {
        tracker.update(m.from) { $0.recentActive = true }
        if m.reject {
            // Fast backtracking: skip every index whose term cannot match the follower's hint.
            var probe = m.rejectHint
            if m.logTerm > .zero {
                probe = log.findConflictByTerm(index: m.rejectHint, term: m.logTerm).index
            }
            if options.mutations.contains(.rejectionKeepsNextIndex) { return }
            let backedOff = tracker.update(m.from) { progress -> Bool in
                guard progress.maybeDecrTo(rejected: m.index, matchHint: probe) else { return false }
                if progress.state == .replicate { progress.becomeProbe() }
                return true
            }
            if backedOff == true { sendAppend(to: m.from) }
            return
        }

        let (moved, wasPaused) = tracker.update(m.from) { progress -> (Bool, Bool) in
            let wasPaused = progress.isPaused
            // A probe answered at exactly `match` may resume replicating too.
            guard progress.maybeUpdate(m.index) || (progress.match == m.index && progress.state == .probe) else {
                return (false, wasPaused)
            }
            switch progress.state {
            case .probe:
                progress.becomeReplicate()
            case .snapshot where progress.match >= progress.pendingSnapshot:
                progress.becomeProbe()
                progress.becomeReplicate()
            case .replicate:
                progress.inflights.freeLE(m.index)
            case .snapshot:
                break
            }
            return (true, wasPaused)
        } ?? (false, false)
        guard moved else { return }
        if m.from == leadTransferee && tracker.progress(of: m.from, { $0.match }) == log.lastIndex {
            sendTimeoutNow(to: m.from)
        }
        if maybeCommit() {
            bcastAppend()
        } else if m.from != id && wasPaused {
            sendAppend(to: m.from)
        }
        // The window may have room for several batches now.
        if m.from != id {
            while maybeSendAppend(to: m.from, sendIfEmpty: false) {}
        }
    }

    /// A heartbeat response unpauses the peer; a lagging or probing peer gets an append, so a
    /// full window whose appends were all lost recovers (rule 17).
    mutating func handleHeartbeatResponse(_ m: Message) {
        let counts = !options.mutations.contains(.checkQuorumIgnoresHeartbeats)
        tracker.update(m.from) { progress in
            if counts { progress.recentActive = true }
            progress.msgAppFlowPaused = false
        }
        acknowledgeReadRound(from: m.from, round: m.context)
        renewLease(from: m.from, sent: m.context)
        guard let behind = tracker.progress(of: m.from, { $0.match < log.lastIndex || $0.state == .probe }) else { return }
        if behind {
            sendAppend(to: m.from)
        }
    }

    // MARK: Follower

    mutating func handleAppendEntries(_ m: Message) {
        if m.index < log.committed {
            send(Message(type: .appendResponse, to: m.from, index: log.committed))
            return
        }
        if let lastNew = maybeAppend(m) {
            send(Message(type: .appendResponse, to: m.from, index: lastNew))
            return
        }
        // Rejected: hint the last entry that could match, so the leader skips a whole term at a
        // time instead of one index per round trip.
        let hint = log.findConflictByTerm(index: min(m.index, log.lastIndex), term: m.logTerm)
        send(Message(type: .appendResponse, to: m.from, logTerm: hint.term, index: m.index,
                     reject: true, rejectHint: hint.index))
    }

    /// Appends the entries of `m` if the log matches at (`m.index`, `m.logTerm`) (§5.3),
    /// truncating only from the first conflicting entry (rule 4), and commits
    /// `min(m.commit, last new index)` (rule 5). Returns the last new index, or nil if rejected.
    private mutating func maybeAppend(_ m: Message) -> LogIndex? {
        guard m.index <= log.lastIndex else { return nil }
        guard options.mutations.contains(.skipPrevLogCheck) || log.matchTerm(m.index, m.logTerm) else { return nil }
        let lastNew = m.index + UInt64(m.entries.count)
        if options.mutations.contains(.truncateOnMatchingAppend), let first = m.entries.first, first.index > log.committed {
            log.append(m.entries)  // Drops everything after the entries, matching or not.
        } else if let conflict = log.findConflict(m.entries) {
            guard conflict > log.committed else {
                recordFault(.conflictAtOrBelowCommit(index: conflict, committed: log.committed))
                return nil
            }
            log.append(Array(m.entries[m.index.distance(to: conflict) - 1 ..< m.entries.count]))
        }
        log.commitTo(min(m.commit, lastNew))
        return lastNew
    }

    mutating func handleHeartbeat(_ m: Message) {
        if options.mutations.contains(.heartbeatCommitUnsynced) {
            log.commitTo(min(m.commit, log.lastIndex))
        } else if m.commit > log.lastIndex {
            recordFault(.commitBeyondLastIndex(commit: m.commit, lastIndex: log.lastIndex))
        } else {
            log.commitTo(m.commit)
        }
        send(Message(type: .heartbeatResponse, to: m.from, context: m.context))
    }
}
