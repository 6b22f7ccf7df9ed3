@_spi(Checker) import RaftCore
import RaftExplorer

/// How node IDs are written in an encoding: each node's position under a relabeling (a
/// permutation packed 3 bits per node), or, for a node's ID-blind signature, only whether an ID
/// is the node itself. 0 always stands for "no node".
struct Labels {
    var packed: UInt64 = 0
    /// The inverse: the slot at each position, packed the same way.
    var slots: UInt64 = 0
    var blindSelf: NodeID?
    var blindOther: NodeID?

    static func identity(_ n: Int) -> Labels { Labels(.identity(n)) }

    /// IDs written only as `me` or not, or with `other`, as `me`, `other` or a third node.
    static func blind(_ me: NodeID, other: NodeID? = nil) -> Labels { Labels(blindSelf: me, blindOther: other) }

    /// The slot of the node at `position` (0-based).
    @inline(__always) func slot(at position: Int) -> Int { Int((slots >> (3 * UInt64(position))) & 7) }

    @inline(__always)
    func callAsFunction(_ id: NodeID) -> UInt64 {
        if id == .none { return 0 }
        if let me = blindSelf { return id == me ? 2 : id == blindOther ? 3 : 1 }
        return ((packed >> (3 * (id.rawValue - 1))) & 7) + 1
    }
}

extension Labels {
    /// The labels of a relabeling: slot s written as its position.
    init(_ relabeling: Relabeling) {
        self.init(packed: relabeling.packed)
        for slot in 0..<relabeling.count { slots |= UInt64(slot) << (3 * UInt64(relabeling.position(of: slot))) }
    }
}

extension Labels: NodeLabeling {
    @inline(__always) func label(_ id: NodeID) -> UInt64 { self(id) }
}

@_spi(Checker) extension StateEncoder: DigestSink {}

extension ClusterModel {
    /// The state's fingerprint: under symmetry its orbit's canonical one (`Symmetry`), with
    /// nodes keyed by their ID-blind signature and ties refined by how each relates to the
    /// others (`refineSignatures`).
    public func fingerprint(of state: ClusterState, width: HashWidth, encoder: inout StateEncoder) -> Fingerprint {
        canonicalFingerprint(of: state, width: width, encoder: &encoder).fingerprint
    }

    /// The fingerprint, and the relabeling whose encoding it hashes if that is the orbit's
    /// canonical one: always without symmetry (the identity), under symmetry unless the tied
    /// orderings passed `Symmetry.orderingCap`.
    public func canonicalFingerprint(of state: ClusterState, width: HashWidth,
                                     encoder: inout StateEncoder) -> (fingerprint: Fingerprint, relabeling: Relabeling?) {
        let n = state.nodes.count
        guard spec.symmetry && n > 1 else {
            encoder.reset()
            encode(state, Labels.identity(n), into: &encoder)
            return (encoder.hash(width), .identity(n))
        }
        var keys = Symmetry.Keys(repeating: (0, 0))
        for slot in 0..<n { keys[slot].0 = state.nodes[slot].sealed.signature }
        return Symmetry.canonicalFingerprint(
            count: n, keys: keys, width: width, encoder: &encoder, everyRelabeling: tryEveryRelabeling,
            refine: { keys, tied in refineSignatures(&keys, of: tied, state: state) },
            encode: { relabeling, encoder in encode(state, Labels(relabeling), into: &encoder) })
    }

    /// Writes `event` with its node IDs relabeled (for `TransitionCache`): its kind, then its
    /// message or the nodes it names; a cut as the pair of relabeled sides, as `encode` writes it.
    public func encode(_ event: Event, relabeledBy relabeling: Relabeling, into e: inout StateEncoder) {
        let labels = Labels(relabeling)
        e.write(event.kindIndex)
        switch event {
        case .deliver(let m), .drop(let m), .duplicate(let m):
            m.digest(into: &e, labels: labels)
        case .reconfigure(let id, let change):
            e.write(labels(id))
            e.write(UInt64(change.kind.rawValue) << 8 | labels(change.node))
        case .enterJoint(let id, let joint):
            e.write(labels(id))
            e.write(UInt64(joint.first.kind.rawValue) << 8 | labels(joint.first.node))
            e.write(UInt64(joint.second.kind.rawValue) << 8 | labels(joint.second.node) | (joint.explicit ? 1 << 16 : 0))
        case .transfer(let id, let peer), .unreachable(let id, let peer):
            e.write(labels(id) << 8 | labels(peer))
        case .reportSnapshot(let id, let peer, let failed):
            e.write(labels(id) << 8 | labels(peer) | (failed ? 1 << 16 : 0))
        case .partition(let side):
            e.write(Self.cut(side, labels, nodes: relabeling.count))
        case .heal, .stabilize:
            break
        case .tick(let id), .timeout(let id), .heartbeat(let id), .crash(let id), .restart(let id), .propose(let id), .read(let id),
             .ready(let id), .persist(let id), .announce(let id), .apply(let id), .compact(let id), .applyEntries(let id),
             .leaveJoint(let id):
            e.write(labels(id))
        }
    }

    /// A set of nodes (bit i: node i + 1) under `labels`.
    static func relabeled(_ nodes: UInt8, _ labels: Labels, nodes n: Int) -> UInt64 {
        var set: UInt64 = 0
        for slot in 0..<n where nodes & (1 << slot) != 0 { set |= 1 << (labels(NodeID(UInt64(slot + 1))) - 1) }
        return set
    }

    /// A configuration's voters under `labels`: the incoming half, then the outgoing one.
    static func relabeled(_ voters: History.Voters, _ labels: Labels, nodes n: Int) -> UInt64 {
        relabeled(voters.incoming, labels, nodes: n) << 8 | relabeled(voters.outgoing, labels, nodes: n)
    }

    /// A partition's cut (bit i: node i + 1 on one side; 0 for none) as the pair of relabeled
    /// sides, smaller first: the same for every way of naming the one cut.
    static func cut(_ partition: UInt8, _ labels: Labels, nodes n: Int) -> UInt64 {
        let side = relabeled(partition, labels, nodes: n)
        let all: UInt64 = (1 << UInt64(n)) - 1
        let other: UInt64 = partition == 0 ? 0 : all & ~side
        return min(side, other) | max(side, other) << 8
    }

    /// Gives each node in `tied` (bit s: slot s) a second key: the
    /// sum (a multiset hash) over every other node of that node's signature and how each of the
    /// two refers to the other (`relation`, derived with each node's view), plus the messages in
    /// flight to or from it, with IDs written only as "itself", "the other" or "a third node".
    /// So the key is invariant under relabeling; it splits tied nodes that no relabeling maps
    /// onto each other, as far as it sees.
    func refineSignatures(_ keys: inout Symmetry.Keys, of tied: UInt64, state: ClusterState) {
        let n = state.nodes.count
        for i in 0..<n where tied & (1 << UInt64(i)) != 0 {
            let me = NodeID(UInt64(i + 1))
            var key: UInt64 = 0
            for j in 0..<n where j != i {
                var pair = WordHasher()
                pair.write(keys[j].0)
                pair.write(state.nodes[i].sealed.relations[j])
                pair.write(state.nodes[j].sealed.relations[i])
                key &+= pair.value
            }
            for message in state.network where message.from == me || message.to == me {
                var hasher = WordHasher()
                message.digest(into: &hasher, labels: Labels.blind(me, other: message.from == me ? message.to : message.from))
                key &+= hasher.value
            }
            keys[i].1 = key
        }
    }

    /// What a node holds about `other`, hashed: whether it is its vote (in memory and stored),
    /// its leader or transferee, and its progress and vote as the leader or candidate tracks
    /// them. Derived once per box (`seal`).
    func relation(_ sim: SimNode, to other: NodeID) -> UInt64 {
        // The node is read in place (binding it would copy its whole state).
        var h = WordHasher()
        var refers: UInt64 = sim.hardState.vote == other ? 1 : 0
        guard sim.isUp else {
            h.write(refers)
            return h.value
        }
        refers |= (sim.box.upNode.raft.vote == other ? 2 : 0) | (sim.box.upNode.raft.leader == other ? 4 : 0)
        refers |= sim.box.upNode.raft.leadTransferee == other ? 8 : 0
        if let vote = sim.box.upNode.raft.tracker.votes.first(where: { $0.voter == other }) { refers |= vote.granted ? 16 : 32 }
        h.write(refers)
        if let (match, next, state) = sim.box.upNode.raft.tracker.progress(of: other, {
            ($0.match.rawValue, $0.next.rawValue, UInt64($0.state.rawValue) << 1 | ($0.isLearner ? 1 : 0))
        }) {
            h.write(match)
            h.write(next)
            h.write(state)
        }
        return h.value
    }

    /// A node's ID-blind signature: a summary of fields of its encoding, with every ID written
    /// as "itself", "another" or none. A function of the encoding and invariant under
    /// relabeling, so nodes can be ordered by it before trying relabelings; any such function
    /// keeps the fingerprint exact, a finer one only leaves fewer orderings to try. It leads
    /// with what an event seldom changes (role, term, log length; the rest hashed breaks ties),
    /// so that an event seldom moves its node in the order: a move changes the other nodes'
    /// labels, and their remembered encodings with them.
    func signature(of sim: SimNode, id: NodeID) -> UInt64 {
        let blind = Labels.blind(id)
        var h = WordHasher()
        let hardState = sim.hardState
        h.write(hardState.commit.rawValue << 8 | blind(hardState.vote))
        h.write(UInt64(sim.view.storedTerms.count) << 32 | (sim.view.storedTerms.last?.rawValue ?? 0))
        h.write(UInt64(sim.applied.count) << 8 | UInt64(sim.box.pending?.stage.rawValue ?? 7))
        if sim.isUp {
            // Chained, not bound: a binding would copy the node.
            h.write(blind(sim.box.upNode.raft.vote) << 8 | blind(sim.box.upNode.raft.leader) << 4 | blind(sim.box.upNode.raft.leadTransferee))
            h.write(sim.box.upNode.raft.log.committed.rawValue << 32 | sim.box.upNode.raft.log.applied.rawValue)
            h.write(sim.box.upNode.raft.pendingConfIndex.rawValue)
            h.write(sim.box.upNode.raft.readOnly.lastRound << 16 | UInt64(sim.box.upNode.raft.readOnly.pending.count))
            h.write(UInt64(sim.box.upNode.raft.electionElapsed) << 32 | UInt64(sim.box.upNode.raft.heartbeatElapsed))
            if spec.singleTicks {
                h.write(UInt64(sim.box.upNode.raft.randomizedElectionTimeout))
                h.write(sim.box.upNode.raft.rng.state)
            }
            h.write(UInt64(sim.box.upNode.raft.messages.count) << 32 | UInt64(sim.box.upNode.raft.messagesAfterPersist.count))
            h.write(UInt64(sim.box.upNode.raft.tracker.votes.count) << 32 | UInt64(sim.box.upNode.raft.tracker.progresses.count))
            h.write(sim.view.logTerms.last?.rawValue ?? 0)
        }
        let role = sim.view.role.map { UInt64($0.rawValue) + 1 } ?? 0
        let term = min(sim.term.rawValue, 255)
        let length = min(sim.logBounds.last.rawValue, 255)
        return (role << 16 | term << 8 | length) << 40 | h.value >> 24
    }

    /// Seals every node whose box is new (every node of an initial state; the one an event
    /// changed): adds its signature and relations (both only under symmetry, the one user).
    func seal(_ state: inout ClusterState) {
        for slot in state.nodes.indices where state.nodes[slot].needsSeal { seal(slot, of: &state) }
    }

    private func seal(_ slot: Int, of state: inout ClusterState) {
        // Derived from the node in place: a binding would keep the box shared, and sealing
        // would copy it.
        let id = NodeID(UInt64(slot + 1))
        var relations = SimNode.Seal.Relations(repeating: 0)
        for other in state.nodes.indices where spec.symmetry && other != slot {
            relations[other] = relation(state.nodes[slot], to: NodeID(UInt64(other + 1)))
        }
        state.nodes[slot].seal(signature: spec.symmetry ? signature(of: state.nodes[slot], id: id) : 0, relations: relations)
    }

    /// The canonical bytes of `state` with node IDs written as `labels` and nodes in label order.
    func encode(_ state: ClusterState, _ labels: Labels, into e: inout StateEncoder) {
        let n = state.nodes.count
        e.write(n)
        let timers = spec.singleTicks  // Not `self`: the closure would copy the whole model.
        for position in 0..<n {
            // A node's box never changes: states that share it share its encoding.
            let sim = state.nodes[labels.slot(at: position)]
            e.write(sim.box, key: labels.packed) { Self.encodeNode(sim, labels, timers: timers, into: &$0) }
        }
        Message.digestMultiset(state.network, into: &e, labels: labels)
        let c = state.counters
        var counters = UInt64(c.proposals) | UInt64(c.crashes) << 8 | UInt64(c.restarts) << 16
        counters |= UInt64(c.drops) << 24 | UInt64(c.duplicates) << 32 | UInt64(c.partitions) << 40 | UInt64(c.reads) << 48
        counters |= UInt64(c.confChanges) << 56
        e.write(counters)
        e.write(UInt64(c.compactions) | UInt64(c.transfers) << 8 | UInt64(c.unreachables) << 16)
        e.write(state.reads.count)
        for read in state.reads {
            e.write(labels(read.node) | UInt64(read.round) << 8 | read.term.rawValue << 24)
            e.write(read.context)
            e.write(read.committedBefore)
            e.write(read.index.map { $0.rawValue + 1 } ?? 0)
        }
        e.write(Self.cut(state.partition, labels, nodes: n))
        if spec.liveness != nil {
            if let calm = state.calm {
                e.write(1 | UInt64(calm.round) << 8 | (calm.settling ? 1 << 24 : 0) | UInt64(calm.missed.rawValue) << 32
                    | Self.relabeled(calm.ticked, labels, nodes: n) << 40)
                e.write(calm.leaderTerm.rawValue << 32 | UInt64(calm.leaderSince) << 8 | labels(calm.leader))
            } else {
                e.write(0)
            }
        }
        if spec.events.compact {
            // Each sender's set of peers, relabeled, at the sender's label.
            var unreported: UInt64 = 0
            for slot in 0..<n {
                let peers = state.unreportedSnapshots(sentBy: slot)
                guard peers != 0 else { continue }
                unreported |= Self.relabeled(peers, labels, nodes: n) << (8 * (labels(NodeID(UInt64(slot + 1))) - 1))
            }
            e.write(unreported)
        }
        if spec.raft.clockDrift != nil {
            var clocks: UInt64 = 0
            for position in 0..<n { clocks |= UInt64(state.clock(labels.slot(at: position))) << (8 * position) }
            e.write(clocks)
        }
        e.write(state.history.committed.count)
        for i in state.history.committed.indices {
            state.history.committed[i].entry.digest(into: &e)
            e.write(state.history.committed[i].term.rawValue << 32
                | Self.relabeled(state.history.committed[i].before, labels, nodes: n) << 16
                | Self.relabeled(state.history.committed[i].after, labels, nodes: n))
        }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: state.history.leaders.count) { buffer in
            var leaders = buffer
            for (i, record) in state.history.leaders.enumerated() {
                leaders.initializeElement(at: i, to: record.term.rawValue << 8 | labels(record.leader))
            }
            leaders.sort()
            e.write(leaders.count)
            for leader in leaders { e.write(leader) }
        }
        e.write(UInt64(state.history.broken.rawValue) | UInt64(state.history.reached.rawValue) << 8)
    }

    /// One node: its RaftCore digest (or storage while down), its state machine, and the Ready
    /// it is carrying out. Only single ticks can observe the randomized timeout and its
    /// generator (`timers`: `Spec.singleTicks`); with macro-steps alone they cannot influence
    /// any future, so they stay out of the view.
    static func encodeNode<D: DigestSink & ~Copyable>(_ sim: SimNode, _ labels: Labels, timers: Bool, into e: inout D) {
        let box = sim.box
        if box.isUp {
            e.write(1)
            box.upNode.digest(into: &e, labels: labels, timers: timers)
        } else {
            e.write(0)
            box.durable.digest(into: &e, labels: labels)
        }
        e.writeLog(box.applied)
        guard let stage = box.pending?.stage else {
            e.write(0)
            return
        }
        let rd = box.pending!.ready
        e.write(UInt64(stage.rawValue) + 1)
        if let hardState = rd.hardState {
            e.write(1)
            hardState.digest(into: &e, labels: labels)
        } else {
            e.write(0)
        }
        e.writeLog(rd.entries)
        if let snapshot = rd.snapshot {
            e.write(1)
            snapshot.digest(into: &e, labels: labels)
        } else {
            e.write(0)
        }
        e.writeLog(rd.committedEntries)
        Message.digestMultiset(rd.messages, into: &e, labels: labels)
        Message.digestMultiset(rd.messagesAfterPersist, into: &e, labels: labels)
        Message.digestMultiset(rd.selfMessages, into: &e, labels: labels)
        rd.readStates.digest(into: &e)
    }
}
