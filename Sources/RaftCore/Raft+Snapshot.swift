/// Snapshots: the leader sends one when a follower needs a compacted entry; the follower
/// restores it (rule 14).
extension Raft {
    /// Sends `peer` the latest snapshot and waits (progress state `.snapshot`) until it is
    /// acknowledged or reported. Returns whether it went out: not while the storage is still
    /// producing one, nor to a peer not heard from recently.
    mutating func sendSnapshot(to peer: NodeID) -> Bool {
        guard tracker.progress(of: peer, { $0.recentActive }) == true,
              let snapshot = try? log.snapshot(), !snapshot.isEmpty else { return false }
        send(Message(type: .snapshot, to: peer, snapshot: snapshot))
        tracker.update(peer) { $0.becomeSnapshot(snapshot.metadata.index) }
        return true
    }

    /// The application reports whether sending a snapshot to `peer` finished or failed. Either
    /// way the peer is probed next; after a success the leader waits for the follower's
    /// acknowledgement, after a failure for the next heartbeat response.
    mutating func handleSnapshotStatus(from peer: NodeID, failed: Bool) {
        if failed && options.mutations.contains(.snapshotFailureIgnored) { return }
        tracker.update(peer) { progress in
            guard progress.state == .snapshot else { return }
            if failed { progress.pendingSnapshot = .zero }
            progress.becomeProbe()
            progress.msgAppFlowPaused = true
        }
    }

    /// A follower answers with the index it now holds: the snapshot's if it was restored, else
    /// its commit index.
    mutating func handleSnapshot(_ m: Message) {
        guard let snapshot = m.snapshot else { return }
        let restored = restore(snapshot)
        send(Message(type: .appendResponse, to: m.from, index: restored ? log.lastIndex : log.committed))
    }

    /// Replaces the log with `snapshot` unless that would move commit backwards (rule 14): a
    /// snapshot at or below commit is ignored, and one whose (index, term) is already in the
    /// log only fast-forwards commit, keeping the entries after it.
    mutating func restore(_ snapshot: Snapshot) -> Bool {
        let meta = snapshot.metadata
        guard meta.index > log.committed || options.mutations.contains(.snapshotBelowCommitRestored) else { return false }
        let conf = meta.confState
        guard (conf.voters + conf.learners + conf.votersOutgoing).contains(id) else { return false }
        if log.matchTerm(meta.index, meta.term) && !options.mutations.contains(.snapshotReplacesMatchingLog) {
            log.commitTo(meta.index)
            return false
        }
        log.restore(snapshot)
        let config = options.mutations.contains(.snapshotKeepsOldConfig) ? tracker.config : TrackerConfig(conf)
        tracker = tracker.restored(config, next: log.lastIndex + 1)
        return true
    }
}
