import RaftCore
import RaftExplorer

/// How node IDs are written in an encoding: each node's position under a relabeling (a
/// permutation packed 3 bits per node), or, for a node's ID-blind signature, only whether an ID
/// is the node itself. 0 always stands for "no node".
struct Labels {
    var packed: UInt64 = 0
    var blindSelf: NodeID?

    static func identity(_ n: Int) -> Labels {
        var labels = Labels()
        for slot in 0..<n { labels.packed |= UInt64(slot) << (3 * UInt64(slot)) }
        return labels
    }

    static func blind(_ me: NodeID) -> Labels { Labels(blindSelf: me) }

    /// Labels in which node `order[p]` (a slot) gets position `p`.
    static func ordering(_ order: [Int]) -> Labels {
        var labels = Labels()
        for (position, slot) in order.enumerated() { labels.packed |= UInt64(position) << (3 * UInt64(slot)) }
        return labels
    }

    @inline(__always)
    func callAsFunction(_ id: NodeID) -> UInt64 {
        if id == .none { return 0 }
        if let me = blindSelf { return id == me ? 2 : 1 }
        return ((packed >> (3 * (id.rawValue - 1))) & 7) + 1
    }
}

extension ClusterModel {
    /// Orderings tried per state under symmetry before settling for a sound but inexact one.
    static let symmetryOrderingCap = 720

    /// The state's fingerprint. Under symmetry it is the least hash of the encoding over the
    /// relabelings that order nodes by their ID-blind signature (permuting only among equal
    /// signatures): equal for every state of one orbit, hence exact, as long as the tied
    /// orderings stay within `symmetryOrderingCap`; past that one ordering is used, which is
    /// still sound (never merges inequivalent states) but may keep an orbit as several states.
    public func fingerprint(of state: ClusterState, width: HashWidth, encoder: inout StateEncoder) -> Fingerprint {
        let n = state.nodes.count
        guard spec.symmetry && n > 1 else {
            encoder.reset()
            encode(state, Labels.identity(n), into: &encoder)
            return encoder.hash(width)
        }
        var signatures: [UInt64] = []
        signatures.reserveCapacity(n)
        for slot in 0..<n {
            encoder.reset()
            encodeNode(state.nodes[slot], Labels.blind(NodeID(UInt64(slot + 1))), into: &encoder)
            signatures.append(encoder.hash64(from: 0))
        }
        var order = Array(0..<n).sorted { (signatures[$0], $0) < (signatures[$1], $1) }
        // Runs of equal signatures: the nodes a relabeling may still permute.
        var groups: [Range<Int>] = []
        var start = 0
        var orderings = 1
        for i in 1...n where i == n || signatures[order[i]] != signatures[order[start]] {
            groups.append(start..<i)
            for k in 1...(i - start) { orderings *= k }
            start = i
        }
        var best: Fingerprint?
        repeat {
            encoder.reset()
            encode(state, Labels.ordering(order), into: &encoder)
            let fp = encoder.hash(width)
            if best.map({ fp < $0 }) ?? true { best = fp }
        } while orderings <= Self.symmetryOrderingCap && Self.nextOrdering(&order, groups)
        return best!
    }

    /// Advances `order` to the next permutation within `groups` (odometer order); false after
    /// the last one.
    static func nextOrdering(_ order: inout [Int], _ groups: [Range<Int>]) -> Bool {
        for group in groups.reversed() where group.count > 1 {
            if order[group].nextPermutation() { return true }
            order[group].sort()
        }
        return false
    }

    /// The canonical bytes of `state` with node IDs written as `labels` and nodes in label order.
    func encode(_ state: ClusterState, _ labels: Labels, into e: inout StateEncoder) {
        let n = state.nodes.count
        e.write(n)
        for position in 0..<n {
            let slot = (0..<n).first { labels(NodeID(UInt64($0 + 1))) == UInt64(position + 1) }!
            encodeNode(state.nodes[slot], labels, into: &e)
        }
        encodeMessages(state.network, labels, into: &e)
        let c = state.counters
        for value in [c.proposals, c.crashes, c.restarts, c.drops, c.duplicates] { e.write(value) }
        e.write(state.history.committed.count)
        for committed in state.history.committed {
            encodeEntry(committed.entry, into: &e)
            e.write(committed.term.rawValue)
        }
        let leaders = state.history.leaders.map { $0.term.rawValue << 8 | labels($0.leader) }.sorted()
        e.write(leaders.count)
        for leader in leaders { e.write(leader) }
        e.write(state.history.broken.rawValue)
    }

    func encodeNode(_ sim: SimNode, _ labels: Labels, into e: inout StateEncoder) {
        let storage = sim.storage
        e.write(storage.hardState.term.rawValue)
        e.write(labels(storage.hardState.vote))
        e.write(storage.hardState.commit.rawValue)
        e.write(storage.latestSnapshot.metadata.index.rawValue)
        e.write(storage.storedEntries.count)
        for entry in storage.storedEntries { encodeEntry(entry, into: &e) }
        e.write(sim.applied.count)
        for entry in sim.applied { encodeEntry(entry, into: &e) }
        guard let node = sim.node else {
            e.write(UInt8(0))
            return
        }
        e.write(UInt8(1))
        let raft = node.raft
        e.write(raft.term.rawValue)
        e.write(labels(raft.vote))
        e.write(labels(raft.leader))
        e.write(raft.role.rawValue)
        e.write(raft.electionElapsed)
        e.write(raft.heartbeatElapsed)
        if spec.events.tick {
            // Only single ticks can observe the randomized timeout and its generator; with
            // macro-steps alone they cannot influence any future, so they stay out of the view.
            e.write(raft.randomizedElectionTimeout)
            e.write(raft.rng.state)
        }
        e.write(raft.fault != nil)
        e.write(raft.log.committed.rawValue)
        e.write(raft.log.applied.rawValue)
        let unstable = raft.log.unstableEntries
        e.write(unstable.count)
        for entry in unstable { encodeEntry(entry, into: &e) }
        let tracker = raft.tracker
        e.write(tracker.ids.count)
        for position in 1...UInt64(spec.nodes) {
            guard let i = tracker.ids.firstIndex(where: { labels($0) == position }) else { continue }
            let progress = tracker.progresses[i]
            e.write(position)
            e.write(progress.match.rawValue)
            e.write(progress.next.rawValue)
            e.write(progress.state.rawValue)
            e.write(progress.pendingSnapshot.rawValue)
            e.write(progress.recentActive)
            e.write(progress.msgAppFlowPaused)
            e.write(progress.isLearner)
            e.write(progress.inflights.count)
            for index in progress.inflights.indexes { e.write(index.rawValue) }
        }
        e.write(tracker.votes.count)
        for position in 1...UInt64(spec.nodes) {
            guard let vote = tracker.votes.first(where: { labels($0.0) == position }) else { continue }
            e.write(position)
            e.write(vote.1)
        }
        encodeMessages(raft.messages, labels, into: &e)
        encodeMessages(raft.messagesAfterPersist, labels, into: &e)
        e.write(labels(node.lastSoftState.leader))
        e.write(node.lastSoftState.role.rawValue)
        e.write(node.lastHardState.term.rawValue)
        e.write(labels(node.lastHardState.vote))
        e.write(node.lastHardState.commit.rawValue)
        e.write(node.awaitingAdvance)
        guard let (rd, stage) = sim.pending else {
            e.write(UInt8(0))
            return
        }
        e.write(stage.rawValue + 1)
        e.write(rd.hardState != nil)
        if let hs = rd.hardState {
            e.write(hs.term.rawValue)
            e.write(labels(hs.vote))
            e.write(hs.commit.rawValue)
        }
        e.write(rd.entries.count)
        for entry in rd.entries { encodeEntry(entry, into: &e) }
        e.write(rd.committedEntries.count)
        for entry in rd.committedEntries { encodeEntry(entry, into: &e) }
        encodeMessages(rd.messages, labels, into: &e)
        encodeMessages(rd.messagesAfterPersist, labels, into: &e)
        encodeMessages(rd.selfMessages, labels, into: &e)
    }

    func encodeEntry(_ entry: Entry, into e: inout StateEncoder) {
        e.write(entry.term.rawValue)
        e.write(entry.index.rawValue)
        e.write(entry.kind.rawValue)
        e.write(entry.data)
    }

    /// A multiset of messages: the sorted hashes of each message's encoding.
    func encodeMessages(_ messages: [Message], _ labels: Labels, into e: inout StateEncoder) {
        e.write(messages.count)
        guard !messages.isEmpty else { return }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: messages.count) { buffer in
            var hashes = buffer
            let base = e.count
            for (i, m) in messages.enumerated() {
                encodeMessage(m, labels, into: &e)
                hashes.initializeElement(at: i, to: e.hash64(from: base))
                e.truncate(to: base)
            }
            hashes.sort()
            for hash in hashes { e.write(hash) }
        }
    }

    func encodeMessage(_ m: Message, _ labels: Labels, into e: inout StateEncoder) {
        e.write(m.type.rawValue)
        e.write(labels(m.from))
        e.write(labels(m.to))
        e.write(m.term.rawValue)
        e.write(m.logTerm.rawValue)
        e.write(m.index.rawValue)
        e.write(m.commit.rawValue)
        e.write(m.reject)
        e.write(m.rejectHint.rawValue)
        e.write(m.context)
        e.write(m.campaignTransfer)
        e.write(m.entries.count)
        for entry in m.entries { encodeEntry(entry, into: &e) }
        e.write(m.snapshot != nil)
    }
}

extension MutableCollection where Self: BidirectionalCollection, Element: Comparable {
    /// Rearranges into the next permutation in lexicographic order; false (and unchanged) if
    /// this is the last one.
    mutating func nextPermutation() -> Bool {
        guard var i = index(endIndex, offsetBy: -1, limitedBy: startIndex), i != startIndex else { return false }
        while true {
            let j = i
            formIndex(before: &i)
            if self[i] < self[j] {
                var k = index(before: endIndex)
                while !(self[i] < self[k]) { formIndex(before: &k) }
                swapAt(i, k)
                self[j...].reverse()
                return true
            }
            if i == startIndex { return false }
        }
    }
}
