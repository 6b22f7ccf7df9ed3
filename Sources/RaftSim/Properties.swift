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
            .always(PropertyName.stateMachineSafety.rawValue) { $0.stateMachineSafety },
            .always(PropertyName.monotonicCommit.rawValue) { !$0.history.broken.contains(.monotonicCommit) },
            .always(PropertyName.committedDurable.rawValue) { $0.committedDurable },
            .always(PropertyName.coreInvariants.rawValue) { $0.coreInvariants && !$0.history.broken.contains(.invalidConfChange) },
            .always(PropertyName.linearizableReads.rawValue) { !$0.history.broken.contains(.linearizableReads) },
            // Vacuity checks: a complete search that never reaches these says so.
            .sometimes("leader_elected") { state in state.nodes.contains { $0.view.role == .leader } },
        ] + (proposes ? [.sometimes("value_committed") { state in state.history.committed.contains { !$0.entry.data.isEmpty } }] : [])
    }
}

/// Every property reads the nodes in place (`sim.node!…`) or what their boxes derived once
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
            let (a, aBounds) = (nodes[i], nodes[i].logBounds)
            for j in nodes.indices where j > i {
                let (b, bBounds) = (nodes[j], nodes[j].logBounds)
                guard aBounds.first == 1 && bBounds.first == 1 else { continue }  // Compacted logs: RaftCore II.
                var differed = false
                var index: LogIndex = 1
                while index <= min(aBounds.last, bBounds.last) {
                    let same = a.logTerm(at: index) == b.logTerm(at: index)
                    if same && differed { return false }
                    differed = differed || !same
                    index = index + 1
                }
            }
        }
        return true
    }

    /// Leader completeness: an entry committed in term T is in the log of every leader of a
    /// term after T.
    public var leaderCompleteness: Bool {
        for sim in nodes where sim.view.role == .leader {
            let term = sim.node!.raft.term
            for (offset, committed) in history.committed.enumerated() where committed.term < term {
                if sim.logTerm(at: LogIndex(UInt64(offset + 1))) != committed.entry.term { return false }
            }
        }
        return true
    }

    /// State machine safety: every node applied exactly the entries committed at each index.
    public var stateMachineSafety: Bool {
        for sim in nodes {
            for (offset, entry) in sim.applied.enumerated() {
                guard offset < history.committed.count, history.committed[offset].entry == entry else { return false }
            }
        }
        return true
    }

    /// A committed entry stays durable on a quorum of the configuration that committed it.
    public var committedDurable: Bool {
        for (offset, committed) in history.committed.enumerated() {
            let index = LogIndex(UInt64(offset + 1))
            let holders = nodes.count { $0.storedTerm(at: index) == committed.entry.term }
            if holders < Int(committed.quorum) { return false }
        }
        return true
    }

    /// RaftCore's own invariants: no fault recorded, applied ≤ committed ≤ last index, and a
    /// leader's `match < next` for every peer (membership changes applied without error are
    /// checked by the property through `BrokenTransition.invalidConfChange`).
    public var coreInvariants: Bool {
        for sim in nodes where sim.isUp {
            if sim.node!.raft.fault != nil { return false }
            let log = (applied: sim.node!.raft.log.applied, committed: sim.node!.raft.log.committed, last: sim.node!.raft.log.lastIndex)
            if !(log.applied <= log.committed && log.committed <= log.last) { return false }
            if sim.node!.raft.role == .leader && sim.node!.raft.tracker.progresses.contains(where: { $0.match >= $0.next }) { return false }
        }
        return true
    }
}
