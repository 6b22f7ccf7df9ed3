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
            .sometimes("leader_elected") { state in state.nodes.contains { $0.node?.raft.role == .leader } },
        ] + (proposes ? [.sometimes("value_committed") { state in state.history.committed.contains { !$0.entry.data.isEmpty } }] : [])
    }
}

extension ClusterState {
    /// The whole log of a node: in memory while up, its storage while down.
    func logTerms(_ sim: SimNode) -> (first: LogIndex, terms: [Term]) {
        if let node = sim.box.node {
            let log = node.raft.log
            let entries = (try? log.entries(from: log.firstIndex)) ?? []
            return (log.firstIndex, entries.map(\.term))
        }
        let storage = sim.storage
        return (storage.firstIndex, storage.storedEntries.map(\.term))
    }

    /// Election safety: at most one leader per term, ever.
    public var electionSafety: Bool {
        zip(history.leaders, history.leaders.dropFirst()).allSatisfy { $0.term != $1.term }
    }

    /// Log matching: if two logs hold an entry with the same index and term, they are identical
    /// up to that index.
    public var logMatching: Bool {
        let logs = nodes.map(logTerms)
        for i in logs.indices {
            for j in logs.indices where j > i {
                let (a, b) = (logs[i], logs[j])
                guard a.first == 1 && b.first == 1 else { continue }  // Compacted logs: RaftCore II.
                let common = min(a.terms.count, b.terms.count)
                guard let last = (0..<common).last(where: { a.terms[$0] == b.terms[$0] }) else { continue }
                if a.terms[...last] != b.terms[...last] { return false }
            }
        }
        return true
    }

    /// Leader completeness: an entry committed in term T is in the log of every leader of a
    /// term after T.
    public var leaderCompleteness: Bool {
        for sim in nodes {
            guard let raft = sim.box.node?.raft, raft.role == .leader else { continue }
            for (offset, committed) in history.committed.enumerated() where committed.term < raft.term {
                let index = LogIndex(UInt64(offset + 1))
                if (try? raft.log.term(at: index)) != committed.entry.term { return false }
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
        let stores = nodes.map(\.storage)
        for (offset, committed) in history.committed.enumerated() {
            let index = LogIndex(UInt64(offset + 1))
            let holders = stores.count { (try? $0.term(at: index)) == committed.entry.term }
            if holders < Int(committed.quorum) { return false }
        }
        return true
    }

    /// RaftCore's own invariants: no fault recorded, applied ≤ committed ≤ last index, and a
    /// leader's `match < next` for every peer (membership changes applied without error are
    /// checked by the property through `BrokenTransition.invalidConfChange`).
    public var coreInvariants: Bool {
        for sim in nodes {
            guard let raft = sim.box.node?.raft else { continue }
            if raft.fault != nil { return false }
            if !(raft.log.applied <= raft.log.committed && raft.log.committed <= raft.log.lastIndex) { return false }
            if raft.role == .leader && raft.tracker.progresses.contains(where: { $0.match >= $0.next }) { return false }
        }
        return true
    }
}
