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
            .always(PropertyName.coreInvariants.rawValue) { $0.coreInvariants && !$0.history.broken.contains(.invalidConfChange) },
            .always(PropertyName.linearizableReads.rawValue) { !$0.history.broken.contains(.linearizableReads) },
            // Vacuity checks: a complete search that never reaches these says so.
            .sometimes("leader_elected") { state in state.nodes.contains { $0.view.role == .leader } },
        ] + (proposes ? [.sometimes("value_committed") { state in state.history.committed.contains { !$0.entry.data.isEmpty } }] : [])
    }
}

/// Every property reads the nodes in place (`sim.box.upNode…`) or what their boxes derived once
/// (`sim.logTerm(at:)`, `sim.view.role`): they run on every state, and binding a node would copy
/// all of it.
extension ClusterState {
    /// Election safety: at most one leader per term, ever.
    public var electionSafety: Bool {
        zip(history.leaders, history.leaders.dropFirst()).allSatisfy { $0.term != $1.term }
    }

    /// Log matching: if two logs hold an entry with the same index and term, they are identical
    /// up to that index. Equivalently: once two logs differ at an index, they agree at no later one.
    public var logMatching: Bool {
        for i in nodes.indices {
            let a = nodes[i].view
            for j in nodes.indices where j > i {
                let b = nodes[j].view
                guard a.logFirst == 1 && b.logFirst == 1 else { continue }  // Compacted logs: RaftCore II.
                // Both term arrays start at index 0.
                var differed = false
                for index in 1..<min(a.logTerms.count, b.logTerms.count) {
                    let same = a.logTerms[index] == b.logTerms[index]
                    if same && differed { return false }
                    differed = differed || !same
                }
            }
        }
        return true
    }

    /// Leader completeness: an entry committed in term T is in the log of every leader of a
    /// term after T.
    public var leaderCompleteness: Bool {
        for sim in nodes where sim.view.role == .leader {
            let term = sim.box.upNode.raft.term
            for (offset, committed) in history.committed.enumerated() where committed.term < term {
                if sim.logTerm(at: LogIndex(UInt64(offset + 1))) != committed.entry.term { return false }
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

    /// A committed entry stays durable on a quorum of the configuration that committed it.
    public var committedDurable: Bool {
        let committed = history.committed
        guard !committed.isEmpty else { return true }
        return withUnsafeTemporaryAllocation(of: UInt8.self, capacity: committed.count) { holders in
            holders.initialize(repeating: 0)
            for sim in nodes {
                // `storedTerms[k]` is the term at index `storedFirst - 1 + k`.
                let view = sim.view
                let skip = Int(view.storedFirst.rawValue) - 1
                let (low, high) = (max(skip - 1, 0), min(committed.count, skip + view.storedTerms.count - 1))
                guard low < high else { continue }
                for offset in low..<high where view.storedTerms[offset + 1 - skip] == committed[offset].entry.term {
                    holders[offset] += 1
                }
            }
            return committed.indices.allSatisfy { holders[$0] >= committed[$0].quorum }
        }
    }

    /// RaftCore's own invariants: no fault recorded, applied ≤ committed ≤ last index, and a
    /// leader's `match < next` for every peer (membership changes applied without error are
    /// checked by the property through `BrokenTransition.invalidConfChange`).
    public var coreInvariants: Bool {
        for sim in nodes where sim.isUp {
            if sim.box.upNode.raft.fault != nil { return false }
            let log = (applied: sim.box.upNode.raft.log.applied, committed: sim.box.upNode.raft.log.committed, last: sim.box.upNode.raft.log.lastIndex)
            if !(log.applied <= log.committed && log.committed <= log.last) { return false }
            if sim.box.upNode.raft.role == .leader && sim.box.upNode.raft.tracker.progresses.contains(where: { $0.match >= $0.next }) { return false }
        }
        return true
    }
}
