import RaftCore
import RaftExplorer

/// The safety properties (Raft paper Figure 3, and beyond), as predicates over a cluster state
/// and its history. Each is named by `PropertyName`.
extension ClusterModel {
    static func allProperties(spec: Spec) -> [Property<ClusterState>] {
        let proposes = spec.events.propose && spec.bounds.maxProposals > 0
        return [
            .always(PropertyName.electionSafety.rawValue) { $0.electionSafety },
            .always(PropertyName.oneVotePerTerm.rawValue) { !$0.history.broken.contains(.voteChanged) },
            .always(PropertyName.leaderAppendOnly.rawValue) { !$0.history.broken.contains(.leaderAppendOnly) },
            .always(PropertyName.logMatching.rawValue) { $0.logMatching },
            .always(PropertyName.leaderCompleteness.rawValue) { $0.leaderCompleteness },
            .always(PropertyName.stateMachineSafety.rawValue) { !$0.history.broken.contains(.stateMachineSafety) },
            .always(PropertyName.monotonicCommit.rawValue) { !$0.history.broken.contains(.monotonicCommit) },
            .always(PropertyName.committedDurable.rawValue) { $0.committedDurable },
            .always(PropertyName.coreInvariants.rawValue) { $0.coreInvariants && $0.history.broken.isDisjoint(with: [.invalidConfChange, .leaderNotVoter, .matchWentBack]) },
            .always(PropertyName.linearizableReads.rawValue) { !$0.history.broken.contains(.linearizableReads) },
            // Vacuity checks: a complete search that never reaches these says so.
            .sometimes("leader_elected") { state in state.nodes.contains { $0.view.role == .leader } },
        ] + (proposes ? [.sometimes("value_committed") { state in state.history.committed.contains { !$0.entry.data.isEmpty } }] : [])
            + milestones(spec).map { name, milestone in .sometimes(name) { $0.history.reached.contains(milestone) } }
            + (spec.liveness.map { liveness in
                [
                    // Judged at each round's end after `stabilize` (`Calm`); only specs with
                    // `liveness` have them (elsewhere they would hold on every state).
                    .always(PropertyName.eventuallyLeader.rawValue) { !($0.calm?.missed.contains(.leader) ?? false) },
                    .always(PropertyName.eventuallyReplicated.rawValue) { !($0.calm?.missed.contains(.replication) ?? false) },
                    .always(PropertyName.eventuallyWritable.rawValue) { !($0.calm?.missed.contains(.writes) ?? false) },
                    .always(PropertyName.eventuallyLeftJoint.rawValue) { !($0.calm?.missed.contains(.jointLeft) ?? false) },
                    .always(PropertyName.eventuallyReadable.rawValue) { !($0.calm?.missed.contains(.reads) ?? false) },
                    // Walks or searches that never run past the leader bound judge nothing.
                    .sometimes("liveness_judged") { state in state.calm.map { Int($0.round) > liveness.leaderWithin } ?? false },
                ]
            } ?? [])
    }

    /// The milestones the spec's features should reach, by name.
    static func milestones(_ spec: Spec) -> [(String, Milestones)] {
        let events = spec.events
        var list: [(String, Milestones)] = []
        if events.compact { list.append(("snapshot_installed", .snapshotInstalled)) }
        if events.compact && events.restart { list.append(("restarted_from_snapshot", .restartedFromSnapshot)) }
        if events.transfer { list.append(("transfer_campaign", .transferCampaign)) }
        if events.joint { list += [("joint_entered", .jointEntered), ("joint_left", .jointLeft)] }
        if events.asyncApply { list.append(("applied_late", .appliedLate)) }
        if spec.raft.stepDownOnRemoval && (events.reconfigure || events.joint) {
            list.append(("removed_leader_stepped_down", .removedLeaderSteppedDown))
        }
        if spec.raft.maxCommittedSizePerReady != nil { list.append(("committed_handed_out_in_parts", .committedHandedOutInParts)) }
        if events.readySteps == .pipelined { list.append(("write_overwritten", .writeOverwritten)) }
        return list
    }
}

/// Every property reads the nodes in place, by index (`nodes[i].box.upNode…`), or what their
/// boxes derived once (`nodes[i].view`): they run on every state, and binding a node, its view
/// or an array (a `for … in`) retains its buffers, atomically, each time.
extension ClusterState {
    /// Election safety: at most one leader per term, ever.
    public var electionSafety: Bool {
        // Sorted by term: two leaders of one term would be neighbours.
        for i in history.leaders.indices.dropFirst() where history.leaders[i - 1].term == history.leaders[i].term { return false }
        return true
    }

    /// Log matching: if two logs hold an entry with the same index and term, they are identical
    /// up to that index. Equivalently: once two logs differ at an index, they agree at no later
    /// one. Compared where both logs reach, a snapshot's index and term counting as an entry.
    public var logMatching: Bool {
        for i in nodes.indices {
            for j in nodes.indices where j > i {
                // `logTerms[k]` is the term at index `logFirst - 1 + k`.
                let (firstI, firstJ) = (Int(nodes[i].view.logFirst.rawValue) - 1, Int(nodes[j].view.logFirst.rawValue) - 1)
                let low = max(firstI, firstJ)
                let high = min(firstI + nodes[i].view.logTerms.count, firstJ + nodes[j].view.logTerms.count)
                var differed = false
                for index in stride(from: low, to: high, by: 1) where index > 0 {
                    let same = nodes[i].view.logTerms[index - firstI] == nodes[j].view.logTerms[index - firstJ]
                    if same && differed { return false }
                    differed = differed || !same
                }
            }
        }
        return true
    }

    /// Leader completeness: an entry committed in term T is in the log of every leader of a
    /// term after T (or in its snapshot: a compacted entry was committed and applied there).
    public var leaderCompleteness: Bool {
        for i in nodes.indices where nodes[i].view.role == .leader {
            let term = nodes[i].box.upNode.raft.term
            let compacted = Int(nodes[i].view.logFirst.rawValue) - 1
            for offset in history.committed.indices where offset + 1 > compacted && history.committed[offset].term < term {
                if nodes[i].logTerm(at: LogIndex(UInt64(offset + 1))) != history.committed[offset].entry.term { return false }
            }
        }
        return true
    }

    /// State machine safety: every node applied exactly the entries committed at each index.
    /// Both only grow, so `ClusterModel.recordHistory` checks each entry as it is applied and
    /// flags `BrokenTransition.stateMachineSafety`; this is the same predicate over a whole state.
    public var stateMachineSafety: Bool {
        nodes.allSatisfy { history.appliedSafely($0.applied, from: 0) }
    }

    /// A committed entry stays durable on a quorum of the configuration that committed it (in a
    /// joint configuration, on a majority of each half): in a stored log, or in a stored
    /// snapshot (which holds every entry up to its index).
    public var committedDurable: Bool {
        let count = history.committed.count
        guard count > 0 else { return true }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: count) { holders in
            holders.initialize(repeating: 0)
            for i in nodes.indices {
                // `storedTerms[k]` is the term at index `storedFirst - 1 + k`.
                let skip = Int(nodes[i].view.storedFirst.rawValue) - 1
                let node = UInt8(1) << i
                for offset in 0..<min(max(skip - 1, 0), count) { holders[offset] |= node }
                let (low, high) = (max(skip - 1, 0), min(count, skip + nodes[i].view.storedTerms.count - 1))
                guard low < high else { continue }
                for offset in low..<high where nodes[i].view.storedTerms[offset + 1 - skip] == history.committed[offset].entry.term {
                    holders[offset] |= node
                }
            }
            return history.committed.indices.allSatisfy { history.committed[$0].isDurable(on: holders[$0]) }
        }
    }

    /// RaftCore's own invariants: no fault recorded, log terms that never go down (in memory
    /// and in storage, up or down), applied ≤ committed ≤ last index, a
    /// well-formed membership configuration tracked exactly, a leader's `match < next` for
    /// every peer, and no node but a leader holding reads to confirm or a transfer (membership
    /// changes applied without error, leaders elected only among voters, and a leader's
    /// `match` never going back, are checked by the property through
    /// `BrokenTransition.invalidConfChange`, `.leaderNotVoter` and `.matchWentBack`).
    public var coreInvariants: Bool {
        for i in nodes.indices where !nodes[i].view.termsAscend { return false }
        for i in nodes.indices where nodes[i].isUp {
            if nodes[i].box.upNode.raft.fault != nil || !nodes[i].box.upNode.raft.tracker.isWellFormed { return false }
            let log = (applied: nodes[i].box.upNode.raft.log.applied, committed: nodes[i].box.upNode.raft.log.committed,
                       last: nodes[i].box.upNode.raft.log.lastIndex)
            if !(log.applied <= log.committed && log.committed <= log.last) { return false }
            if nodes[i].box.upNode.raft.role == .leader {
                if nodes[i].box.upNode.raft.tracker.progresses.contains(where: { $0.match >= $0.next }) { return false }
            } else if !nodes[i].box.upNode.raft.readOnly.pending.isEmpty || !nodes[i].box.upNode.raft.pendingReadIndexMessages.isEmpty
                || nodes[i].box.upNode.raft.leadTransferee != .none {
                return false  // A leader's reads and transfer end with its leadership.
            }
        }
        return true
    }
}
