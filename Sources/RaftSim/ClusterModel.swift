@_spi(Checker) import RaftCore
import RaftExplorer

/// The cluster as a `Model`: the production RaftCore nodes under every choice of event the spec
/// enables. Deterministic: the same state lists the same events in the same order.
public struct ClusterModel: Model {
    public let spec: Spec
    public let properties: [Property<ClusterState>]
    /// Test oracle: canonicalize over every relabeling instead of signature-ordered ones.
    var tryEveryRelabeling = false
    /// If set, the only events the model lists or enables: those of these shapes. Shapes name
    /// nodes, so only a spec without symmetry may be confined (a confined model is not
    /// symmetric).
    public var shapes: Set<EventShape>? {
        didSet { precondition(shapes == nil || !spec.symmetry, "event shapes name nodes: symmetry must be off") }
    }

    /// Every node's configuration but for its ID and applied index (`Spec.config`): how state
    /// images write a node's (`encode`), built once rather than per image.
    let usualConfig: Config
    /// Each event kind's fuzzing weight, by `EventKind` order: the spec's `fuzz.weights` or the
    /// kind's default. Built once: every walk starts from it.
    public let defaultWeights: [UInt64]

    public init(spec: Spec) {
        self.spec = spec
        usualConfig = spec.config(for: NodeID(1))
        defaultWeights = EventKind.allCases.map { spec.fuzz.weights[$0.name] ?? $0.defaultWeight }
        let selected = Set(spec.properties)
        properties = ClusterModel.allProperties(spec: spec).filter {
            $0.expectation == .sometimes || selected.contains($0.name)
        }
    }

    public var initialStates: [ClusterState] {
        // Every node starts knowing the initial configuration, members or not (as a node
        // started with the cluster's initial membership does).
        let storage = MemoryStorage(confState: ConfState(voters: spec.initialVoters))
        let nodes = spec.nodeIDs.map { id in
            // The spec was validated; a node that cannot start is a programming error.
            let node = try! RawNode(config: spec.config(for: id), storage: storage)
            return SimNode(node: node)
        }
        var state = ClusterState(nodes: nodes)
        seal(&state)
        return [state]
    }

    // MARK: Enabled events

    public func actions(of state: ClusterState, into actions: inout [Event]) {
        let start = actions.count
        listActions(of: state, into: &actions)
        guard let shapes else { return }
        var kept = start
        for i in start..<actions.count where shapes.contains(actions[i].shape) {
            actions.swapAt(kept, i)
            kept += 1
        }
        actions.removeLast(actions.count - kept)
    }

    /// Every enabled event: each node's, in node order, then the network's. The one statement
    /// of the enabling rules (`isEnabled` lists the part an event belongs to).
    private func listActions(of state: ClusterState, into actions: inout [Event]) {
        for slot in state.nodes.indices { listActions(ofNode: slot, in: state, into: &actions) }
        listNetworkActions(of: state, into: &actions)
    }

    /// The events of node `slot`: its faults, its Ready loop's steps, and the inputs the
    /// application, clients and operator may give it.
    @inline(__always)
    private func listActions(ofNode slot: Int, in state: ClusterState, into actions: inout [Event]) {
        let events = spec.events, bounds = spec.bounds, counters = state.counters
        let id = NodeID(UInt64(slot + 1))
        // What the box derived (`sim.view`): binding the node would copy its whole state.
        let sim = state.nodes[slot]
        // After `stabilize`, only the kinds `allowedWhenCalm` (`Calm`).
        let calm = state.calm != nil
        func open(_ kind: EventKind) -> Bool { !calm || Self.allowedWhenCalm(kind) }
        guard sim.isUp else {
            if open(.restart) && events.restart && Int(counters.restarts) < bounds.maxRestarts { actions.append(.restart(id)) }
            return
        }
        if open(.crash) && events.crash && Int(counters.crashes) < bounds.maxCrashes { actions.append(.crash(id)) }
        // The application's apply loop runs beside its Ready loop, between Readies.
        if events.asyncApply && sim.box.pending == nil && sim.box.upNode.raft.log.applying > sim.appliedIndex {
            actions.append(.applyEntries(id))
        }
        if let stage = sim.box.pending?.stage {
            switch stage {
            case .sent: actions.append(.persist(id))
            case .persisted: actions.append(.announce(id))
            case .announced: actions.append(.apply(id))
            }
            // Pipelined: inputs go on meanwhile (no new Ready until this one is advanced).
            guard events.readySteps == .pipelined else { return }
        } else if sim.view.hasReady {
            // Split mode: the application takes a Ready before its next input.
            actions.append(.ready(id))
            return
        }
        let leads = sim.view.role == .leader
        if mayTick(slot, in: state) { actions.append(.tick(id)) }
        if open(.timeout) && events.timeout && !leads && sim.view.isPromotable { actions.append(.timeout(id)) }
        if open(.heartbeat) && events.heartbeat && leads { actions.append(.heartbeat(id)) }
        let asked = leads || events.forward  // Whether clients ask this node.
        if open(.propose) && events.propose && asked && Int(counters.proposals) < bounds.maxProposals { actions.append(.propose(id)) }
        if open(.read) && events.read && asked && Int(counters.reads) < bounds.maxReads { actions.append(.read(id)) }
        if open(.reconfigure) && events.reconfigure && leads && Int(counters.confChanges) < bounds.maxConfChanges {
            for change in changes(of: sim.box.upNode.raft.tracker.config) { actions.append(.reconfigure(id, change)) }
        }
        if open(.compact) && events.compact && sim.box.pending == nil && Int(counters.compactions) < bounds.maxCompactions && Self.canCompact(sim) { actions.append(.compact(id)) }
        if leads {
            listLeaderRequests(of: state, at: id, open: open, into: &actions)
        } else if open(.transfer) && events.forward && events.transfer && Int(counters.transfers) < bounds.maxTransfers {
            // Forwarded to the leader, which hands over to `peer` (itself included).
            for peer in spec.nodeIDs { actions.append(.transfer(id, peer)) }
        }
    }

    /// The network's events: partition or heal, and per message in flight (equal copies once)
    /// its delivery, loss and duplication.
    @inline(__always)
    private func listNetworkActions(of state: ClusterState, into actions: inout [Event]) {
        let events = spec.events, bounds = spec.bounds, counters = state.counters
        if let calm = state.calm {
            // Fair rounds (`Calm`): deliveries in a round's second half, and no other network event.
            guard calm.settling else { return }
            for (i, message) in state.network.enumerated() where i == 0 || state.network[i - 1] != message {
                if state.connected(message.from, message.to) && state[message.to].takesInput(events.readySteps) { actions.append(.deliver(message)) }
            }
            return
        }
        if spec.liveness != nil { actions.append(.stabilize) }
        if events.partition {
            if state.partition != 0 {
                actions.append(.heal)
            } else if Int(counters.partitions) < bounds.maxPartitions {
                // Each cut once: the side holding node 1, excluding the whole cluster.
                for side in stride(from: UInt8(1), to: UInt8(1 << spec.nodes) - 1, by: 2) { actions.append(.partition(side)) }
            }
        }
        for (i, message) in state.network.enumerated() where i == 0 || state.network[i - 1] != message {
            if events.deliver && state.connected(message.from, message.to) && state[message.to].takesInput(events.readySteps) {
                actions.append(.deliver(message))
            }
            if events.drop && Int(counters.drops) < bounds.maxDrops { actions.append(.drop(message)) }
            if events.duplicate && Int(counters.duplicates) < bounds.maxDuplicates { actions.append(.duplicate(message)) }
        }
    }

    /// What the application and the operator may ask of leader `id` besides values and reads:
    /// a report for each snapshot it sent and the application has not reported (whatever the
    /// leader waits for now), unreachable reports, a transfer to any other node, and joint
    /// changes (enter, or leave).
    private func listLeaderRequests(of state: ClusterState, at id: NodeID, open: (EventKind) -> Bool, into actions: inout [Event]) {
        let events = spec.events, bounds = spec.bounds, counters = state.counters
        guard events.compact || events.unreachable || events.transfer || events.joint else { return }
        // The tracker is read in place (binding the node's state would copy it).
        for peer in spec.nodeIDs where peer != id {
            if events.compact, state.unreportedSnapshots & ClusterState.snapshotBit(from: id, to: peer) != 0 {
                actions.append(.reportSnapshot(id, peer, failed: false))
                // A failed send is a fault: none after `stabilize`.
                if state.calm == nil { actions.append(.reportSnapshot(id, peer, failed: true)) }
            }
            if open(.unreachable) && events.unreachable && Int(counters.unreachables) < bounds.maxUnreachable && state[id].box.upNode.raft.tracker.tracks(peer) {
                actions.append(.unreachable(id, peer))
            }
            if open(.transfer) && events.transfer && Int(counters.transfers) < bounds.maxTransfers { actions.append(.transfer(id, peer)) }
        }
        guard open(.enterJoint) && events.joint && Int(counters.confChanges) < bounds.maxConfChanges else { return }
        // With `any_change`, also the request the configuration does not admit.
        let joint = state[id].box.upNode.raft.tracker.config.voters.isJoint
        if joint || events.anyChange { actions.append(.leaveJoint(id)) }
        if !joint || events.anyChange {
            for change in jointChanges(of: state[id].box.upNode.raft.tracker.config) { actions.append(.enterJoint(id, change)) }
        }
    }

    /// The joint changes a leader with `config` may be asked for: a node outside the voters
    /// (learner or outsider) replaces a voter, which is removed or demoted to learner; with
    /// `any_change` also lists that name one voter twice (demoted, then promoted back or
    /// removed). Each left automatically or explicitly. In node ID order.
    func jointChanges(of config: TrackerConfig) -> [JointChange] {
        let voters = config.voters.incoming.voters
        var joints: [JointChange] = []
        func append(_ first: ConfChangeSingle, _ second: ConfChangeSingle) {
            for explicit in [false, true] { joints.append(JointChange(first, second, explicit: explicit)) }
        }
        for incoming in spec.nodeIDs where !voters.contains(incoming) {
            for outgoing in voters {
                for kind in [ConfChangeSingle.Kind.remove, .addLearner] { append(ConfChangeSingle(.addVoter, incoming), ConfChangeSingle(kind, outgoing)) }
            }
        }
        guard spec.events.anyChange else { return joints }
        for voter in voters {
            for kind in [ConfChangeSingle.Kind.addVoter, .remove] { append(ConfChangeSingle(.addLearner, voter), ConfChangeSingle(kind, voter)) }
        }
        return joints
    }

    /// Whether the application of `sim` (up) has applied entries its latest snapshot does not
    /// hold yet, all in its storage: it may snapshot and compact there.
    static func canCompact(_ sim: SimNode) -> Bool {
        let applied = sim.appliedIndex
        return applied >= sim.view.storedFirst && applied <= sim.box.upNode.raft.log.storage.lastIndex
    }

    /// The single-step changes a leader with `config` may be asked for, per node in ID order:
    /// a voter is removed or demoted (unless it is the last, but for `any_change`), a learner
    /// promoted or removed, an outsider added as a voter or a learner.
    func changes(of config: TrackerConfig) -> [ConfChangeSingle] {
        let voters = config.voters.incoming.voters
        var changes: [ConfChangeSingle] = []
        for node in spec.nodeIDs {
            if voters.contains(node) {
                if voters.count > 1 || spec.events.anyChange { changes += [ConfChangeSingle(.remove, node), ConfChangeSingle(.addLearner, node)] }
            } else if config.learners.contains(node) {
                changes += [ConfChangeSingle(.addVoter, node), ConfChangeSingle(.remove, node)]
            } else {
                changes += [ConfChangeSingle(.addVoter, node), ConfChangeSingle(.addLearner, node)]
            }
        }
        return changes
    }

    public func withinBoundary(_ state: ClusterState) -> Bool {
        // After `stabilize`, the rounds bound everything (terms and messages included).
        if let calm = state.calm { return withinRounds(calm) }
        return state.network.count <= spec.bounds.maxInFlight && state.maxTerm <= Term(spec.bounds.maxTerm)
    }

    // MARK: Transitions

    public func nextState(after state: ClusterState, action event: Event) -> ClusterState? {
        nextState(replacing: state, action: event)
    }

    /// `nextState(after:action:)`, for a caller done with `state`: a node that only `state`
    /// held changes in place (its buffers are not copied on write).
    public func nextState(replacing state: consuming ClusterState, action event: Event) -> ClusterState? {
        var next = state
        let id = event.node
        let before = NodeBefore(next[id])
        switch event {
        case .deliver(let message):
            guard next.remove(message), next[id].isUp else { return nil }
            if message.type == .timeoutNow { next.history.reached.insert(.transferCampaign) }
            if spec.events.asyncApply, next[id].box.upNode.raft.log.applying > next[id].appliedIndex {
                next.history.reached.insert(.appliedLate)
            }
            update(id, &next) { node in try? node.step(message) }
        case .drop(let message):
            guard next.remove(message) else { return nil }
            next.counters.drops += 1
        case .duplicate(let message):
            next.insert(message)
            next.counters.duplicates += 1
        case .tick:
            update(id, &next) { node in node.tick() }
            if spec.raft.clockDrift != nil { next.advanceClock(ClusterState.slot(id), tick: true) }
            next.calm?.ticked |= 1 << UInt8(ClusterState.slot(id))
        case .timeout:
            let ticks = 2 * spec.raft.electionTicks  // Not `self` in the closure: a copy of the model.
            update(id, &next) { node in
                // Tick until the election timer fires (it then restarts from zero).
                for _ in 0..<ticks {
                    node.tick()
                    if node.raft.electionElapsed == 0 { break }
                }
            }
        case .heartbeat:
            let ticks = spec.raft.heartbeatTicks
            update(id, &next) { node in
                for _ in 0..<ticks {
                    node.tick()
                    if node.raft.heartbeatElapsed == 0 || node.raft.role != .leader { break }
                }
            }
        case .propose:
            next.counters.proposals += 1
            let value = [next.counters.proposals]
            update(id, &next) { node in try? node.propose(value) }
        case .read:
            next.counters.reads += 1
            let context = UInt64(next.counters.reads)
            var read = PendingRead(node: id, context: context, committedBefore: next.history.committed.count)
            if let calm = next.calm, next[id].isUp { (read.round, read.term) = (calm.round + 1, next[id].box.upNode.raft.term) }
            next.reads.append(read)
            var refused = false
            update(id, &next) { node in
                do { try node.readIndex(requestContext: context) } catch { refused = true }
            }
            if refused { next.reads.removeAll { $0.context == context } }
        case .reconfigure(_, let change):
            next.counters.confChanges += 1
            update(id, &next) { node in try? node.proposeConfChange(ConfChange([change])) }
        case .enterJoint(_, let joint):
            next.counters.confChanges += 1
            update(id, &next) { node in try? node.proposeConfChange(joint.confChange) }
        case .leaveJoint:
            next.counters.confChanges += 1
            update(id, &next) { node in try? node.proposeConfChange(.leaveJoint) }
        case .transfer(_, let target):
            next.counters.transfers += 1
            update(id, &next) { node in try? node.transferLeader(to: target) }
        case .reportSnapshot(_, let peer, let failed):
            next.unreportedSnapshots &= ~ClusterState.snapshotBit(from: id, to: peer)
            update(id, &next) { node in node.reportSnapshot(to: peer, failed: failed) }
        case .unreachable(_, let peer):
            next.counters.unreachables += 1
            update(id, &next) { node in node.reportUnreachable(peer) }
        case .compact:
            guard next[id].isUp else { return nil }
            next.counters.compactions += 1
            change(id, &next) { parts, _ in
                let index = LogIndex(UInt64(parts.applied.count))
                let image = StateMachineImage.encode(parts.applied)
                _ = try? parts.node!.storage.createSnapshot(at: index, data: image)
                try? parts.node!.storage.compact(to: index)
            }
        case .applyEntries:
            guard next[id].isUp else { return nil }
            change(id, &next) { parts, next in
                let (from, through) = (LogIndex(UInt64(parts.applied.count + 1)), parts.node!.raft.log.applying)
                apply((try? parts.node!.raft.log.entries(from: from, to: through + 1)) ?? [], &parts, &next)
                parts.node!.advanceApply(to: through)
                serveReads([], id, parts.applied.count, &next)
                settle(id, &parts, &next)
            }
        case .partition(let side):
            next.partition = side
            next.counters.partitions += 1
        case .heal:
            next.partition = 0
        case .stabilize:
            stabilize(&next)
        case .crash:
            next.reads.removeAll { $0.node == id }  // Its clients give up.
            next.unreportedSnapshots &= ~(0xFF << (8 * ClusterState.slot(id)))  // So does its transport.
            next[id].crash()
            next.counters.crashes += 1
            if spec.raft.clockDrift != nil { next.advanceClock(ClusterState.slot(id), tick: false) }
        case .restart:
            restart(id, &next)
            next.counters.restarts += 1
        case .ready:
            guard next[id].isUp else { return nil }
            change(id, &next) { parts, next in
                let rd = parts.node!.ready()
                next.send(rd.messages)
                parts.pending = SimNode.Pending(ready: rd, stage: .sent)
            }
        case .persist:
            guard next[id].pending != nil else { return nil }
            change(id, &next) { parts, next in
                persist(parts.pending!.ready, &parts, &next)
                parts.pending!.stage = .persisted
            }
        case .announce:
            guard next[id].pending != nil else { return nil }
            change(id, &next) { parts, next in
                next.send(parts.pending!.ready.messagesAfterPersist)
                parts.pending!.stage = .announced
            }
        case .apply:
            guard next[id].pending != nil else { return nil }
            change(id, &next) { parts, next in
                finish(parts.pending!.ready, id, &parts, &next)
                parts.pending = nil
            }
        }
        if next.calm != nil { advanceRound(&next) }
        // A state outside the bounds is only ever tested with `withinBoundary` and dropped
        // (TLC's state constraint): it stays unsealed, its history unrecorded.
        guard withinBoundary(next) else { return next }
        seal(&next)
        recordHistory(of: id, before: before, after: &next)
        return next
    }

    /// Restarts node `id` from its storage, its state machine at what the application applied.
    func restart(_ id: NodeID, _ next: inout ClusterState) {
        let sim = next[id]
        let storage = sim.storage
        // The application restarts the node at what it has applied; never past the
        // persisted commit (that would be a broken core: flag it, do not crash the checker).
        // A snapshot persisted but not yet applied (a crash fell between) is what the
        // application reloads its state machine from.
        if storage.latestSnapshot.metadata.index > sim.appliedIndex {
            next[id].applied = StateMachineImage.decode(storage.latestSnapshot.data) ?? []
        }
        if !storage.latestSnapshot.isEmpty { next.history.reached.insert(.restartedFromSnapshot) }
        var applied = next[id].appliedIndex
        if applied > max(storage.hardState.commit, storage.firstIndex - 1) {
            next.history.broken.insert(.monotonicCommit)
            applied = storage.hardState.commit
        }
        next[id].restart(try! RawNode(config: spec.config(for: id, applied: applied), storage: storage))
        if spec.raft.clockDrift != nil { next.advanceClock(ClusterState.slot(id), tick: false) }
    }

    /// What `recordHistory` compares of a node before an event with the node after it: read
    /// out first, so that the event may change the node in place.
    struct NodeBefore {
        var hardState: HardState
        var applied: Int
        var isUp = false
        /// While up: its RaftCore node's term, vote, commit and role.
        var term = Term.zero, vote = NodeID.none, committed = LogIndex.zero, role = Role.follower
        /// While it led: its whole log's terms, as `SimNode.View` holds them.
        var leaderLog: (first: LogIndex, terms: [Term])?
        /// While up: the voters of its configuration, whose majorities a commit needed.
        var voters: History.Voters?
        /// While it led: its progress tracker (shared with the node, not copied).
        var tracker: ProgressTracker?

        init(_ sim: borrowing SimNode) {
            (hardState, applied, isUp) = (sim.hardState, sim.box.applied.count, sim.isUp)
            guard isUp else { return }
            // Field by field, in place: binding the node would copy its whole state.
            (term, vote, committed, role) = (sim.box.upNode.raft.term, sim.box.upNode.raft.vote, sim.box.upNode.raft.log.committed,
                                             sim.box.upNode.raft.role)
            voters = History.Voters(sim.box.upNode.raft.tracker.config)
            if role == .leader { (leaderLog, tracker) = ((sim.view.logFirst, sim.view.logTerms), sim.box.upNode.raft.tracker) }
        }
    }

    /// Runs `body` on node `id` (if up), then carries out its Readies (atomic mode).
    private func update(_ id: NodeID, _ state: inout ClusterState, _ body: (inout RawNode<MemoryStorage>) -> Void) {
        guard state[id].isUp else { return }
        change(id, &state) { parts, state in
            body(&parts.node!)
            settle(id, &parts, &state)
        }
    }

    /// Changes node `id` through its parts, taken out of its box once for the whole event (so
    /// its buffers are copied on write at most once, and not at all if this state held the box
    /// alone) and put back in a new one.
    @discardableResult
    private func change<R>(_ id: NodeID, _ state: inout ClusterState, _ body: (inout SimNode.Parts, inout ClusterState) -> R) -> R {
        var parts = state[id].take()
        let result = body(&parts, &state)
        state[id].put(consume parts)
        return result
    }

    /// In atomic mode, carries out every Ready of the node (up, in `parts`) in the contract's
    /// order.
    private func settle(_ id: NodeID, _ parts: inout SimNode.Parts, _ state: inout ClusterState) {
        guard spec.events.readySteps == .atomic else { return }
        while parts.node!.hasReady {
            let rd = parts.node!.ready()
            state.send(rd.messages)
            persist(rd, &parts, &state)
            state.send(rd.messagesAfterPersist)
            finish(rd, id, &parts, &state)
        }
    }

    /// The last step of a Ready (its writes are durable and its messages sent): restore the
    /// state machine from its snapshot, apply its committed entries (unless the application
    /// applies on its own time: `apply-entries`), serve the reads it can, and advance.
    private func finish(_ rd: Ready, _ id: NodeID, _ parts: inout SimNode.Parts, _ state: inout ClusterState) {
        if let snapshot = rd.snapshot { restore(snapshot, &parts, &state) }
        if spec.events.readySteps == .pipelined, let last = rd.entries.last, (try? parts.node!.raft.log.term(at: last.index)) != last.term {
            state.history.reached.insert(.writeOverwritten)
        }
        if spec.raft.maxCommittedSizePerReady != nil, let last = rd.committedEntries.last, last.index < parts.node!.raft.log.committed {
            state.history.reached.insert(.committedHandedOutInParts)
        }
        if spec.events.asyncApply {
            serveReads(rd.readStates, id, parts.applied.count, &state)
            parts.node!.advanceAppend(rd)
            return
        }
        apply(rd.committedEntries, &parts, &state)
        serveReads(rd.readStates, id, parts.applied.count, &state)
        parts.node!.advance(rd)
    }

    /// Replaces the node's state machine with the one `snapshot` carries; it must not go back.
    private func restore(_ snapshot: Snapshot, _ parts: inout SimNode.Parts, _ state: inout ClusterState) {
        guard let image = StateMachineImage.decode(snapshot.data), image.count == Int(snapshot.metadata.index.rawValue),
              image.count >= parts.applied.count else {
            state.history.broken.insert(.monotonicCommit)
            return
        }
        parts.applied = image
        state.history.reached.insert(.snapshotInstalled)
        // Restored, the node is in the configuration the snapshot carries (unless a newer
        // snapshot arrived while this Ready was carried out).
        if parts.node!.raft.log.firstIndex - 1 == snapshot.metadata.index && parts.node!.raft.tracker.config.confState != snapshot.metadata.confState {
            state.history.broken.insert(.invalidConfChange)
        }
    }

    /// Records the reads a Ready of `id` confirmed, then serves every read of `id` whose index
    /// is applied (`applied`: the node's state machine length). A confirmed index must cover
    /// every write committed before the read was requested (linearizability): an application
    /// may read its state machine as soon as it has applied that index and no later, so the
    /// index is judged, not the state machine the read happens to see.
    private func serveReads(_ confirmed: [ReadState], _ id: NodeID, _ applied: Int, _ state: inout ClusterState) {
        guard !state.reads.isEmpty else { return }  // The common case: no client read at all.
        for read in confirmed {
            if let i = state.reads.firstIndex(where: { $0.node == id && $0.context == read.requestContext }) {
                state.reads[i].index = read.index
                if Int(read.index.rawValue) < state.reads[i].committedBefore { state.history.broken.insert(.linearizableReads) }
            }
        }
        state.reads.removeAll { read in read.node == id && read.index.map { Int($0.rawValue) <= applied } == true }
    }

    /// Writes a Ready's snapshot, entries and hard state to the node's storage (the node is up).
    private func persist(_ rd: Ready, _ parts: inout SimNode.Parts, _ state: inout ClusterState) {
        if let snapshot = rd.snapshot { try? parts.node!.storage.applySnapshot(snapshot) }
        parts.node!.storage.append(rd.entries)
        guard let hardState = rd.hardState else { return }
        if hardState.commit < parts.node!.storage.hardState.commit { state.history.broken.insert(.monotonicCommit) }
        parts.node!.storage.setHardState(hardState)
    }

    /// Applies committed entries to the node's state machine, in order; a membership change is
    /// applied to the node and its configuration persisted with the state machine.
    private func apply(_ entries: [Entry], _ parts: inout SimNode.Parts, _ state: inout ClusterState) {
        for entry in entries {
            if entry.index != LogIndex(UInt64(parts.applied.count + 1)) {
                state.history.broken.insert(.monotonicCommit)
                return
            }
            parts.applied.append(entry)
            guard entry.kind == .confChange else { continue }
            let (led, before) = (parts.node!.raft.role == .leader, parts.node!.raft.tracker.config.confState)
            if let change = ConfChange(encoded: entry.data), let conf = try? parts.node!.applyConfChange(change) {
                if !Self.doesWhatItAsks(change, from: before, to: conf) { state.history.broken.insert(.invalidConfChange) }
                parts.node!.storage.setConfState(conf)
                if led && parts.node!.raft.role != .leader { state.history.reached.insert(.removedLeaderSteppedDown) }
                state.history.reached.insert(conf.votersOutgoing.isEmpty ? (change.isLeaveJoint ? .jointLeft : []) : .jointEntered)
            } else {
                state.history.broken.insert(.invalidConfChange)
            }
        }
    }

    /// Whether the configuration `after` applying `change` to `before` holds what the change
    /// asked for: each node named ends up as its last operation says (a voter of the incoming
    /// configuration, a learner now or once the joint configuration is left, or gone), and
    /// leaving a joint configuration keeps the incoming voters and makes the waiting learners
    /// learners.
    static func doesWhatItAsks(_ change: ConfChange, from before: ConfState, to after: ConfState) -> Bool {
        if change.isLeaveJoint {
            return after.votersOutgoing.isEmpty && after.learnersNext.isEmpty && after.voters == before.voters
                && before.learnersNext.allSatisfy(after.learners.contains)
        }
        for (i, single) in change.changes.enumerated()
        where !change.changes[(i + 1)...].contains(where: { $0.node == single.node && $0.kind != .update }) {
            let (voter, learner) = (after.voters.contains(single.node),
                                    after.learners.contains(single.node) || after.learnersNext.contains(single.node))
            switch single.kind {
            case .addVoter: if !voter || learner { return false }
            case .addLearner: if voter || !learner { return false }
            case .remove: if voter || learner { return false }
            case .update: break
            }
        }
        return true
    }

    /// Updates the history variables after an event at `id`, which was `before` it.
    func recordHistory(of id: NodeID, before old: NodeBefore, after: inout ClusterState) {
        // The node is read in place (binding it would copy its whole state).
        let new = after[id]
        let (was, now) = (old.hardState, new.hardState)
        if Self.voteChanged(from: (was.term, was.vote), to: (now.term, now.vote)) { after.history.broken.insert(.voteChanged) }
        guard new.isUp else { return }
        let (term, role, committed) = (new.box.upNode.raft.term, new.box.upNode.raft.role, new.box.upNode.raft.log.committed)
        if role == .leader {
            let record = History.TermLeader(term: term, leader: id)
            var low = 0, high = after.history.leaders.count
            while low < high {
                let mid = (low + high) / 2
                if after.history.leaders[mid] < record { low = mid + 1 } else { high = mid }
            }
            if low == after.history.leaders.count || after.history.leaders[low] != record {
                after.history.leaders.insert(record, at: low)
            }
        }
        if old.isUp {
            if Self.voteChanged(from: (old.term, old.vote), to: (term, new.box.upNode.raft.vote)) {
                after.history.broken.insert(.voteChanged)
            }
            if committed < old.committed { after.history.broken.insert(.monotonicCommit) }
            // Read from the configuration's halves (no merged list), not through RaftCore's own test.
            if role == .leader && old.role != .leader && !new.box.upNode.raft.tracker.config.voters.incoming.contains(id)
                && !new.box.upNode.raft.tracker.config.voters.outgoing.contains(id) {
                after.history.broken.insert(.leaderNotVoter)
            }
            if let log = old.leaderLog, role == .leader && old.term == term && !Self.isPrefix(log, of: new) {
                after.history.broken.insert(.leaderAppendOnly)
            }
            if let tracker = old.tracker, role == .leader && old.term == term && Self.matchWentBack(from: tracker, to: new) {
                after.history.broken.insert(.matchWentBack)
            }
        }
        let known = after.history.committed.count
        if committed > LogIndex(UInt64(known)),
           let entries = try? new.box.upNode.raft.log.entries(from: LogIndex(UInt64(known + 1)), to: committed + 1) {
            // The configuration that decided the commit: the node's before the event, or, if a
            // change applied during the event let it commit more, the one after.
            let now = History.Voters(new.box.upNode.raft.tracker.config)
            after.history.committed += entries.map { History.Committed(entry: $0, term: term, before: old.voters ?? now, after: now) }
        }
        // The applied entries and the committed history only grow: the entries `id` applied in
        // this event are the ones state machine safety has not yet checked.
        if !after.history.appliedSafely(new.applied, from: min(old.applied, new.applied.count)) {
            after.history.broken.insert(.stateMachineSafety)
        }
    }

    /// Whether a vote cast in a term was changed or withdrawn within that term (Raft §5.2: one
    /// vote per term, first come first served).
    static func voteChanged(from old: (term: Term, vote: NodeID), to new: (term: Term, vote: NodeID)) -> Bool {
        old.term == new.term && old.vote != .none && new.vote != old.vote
    }

    /// Whether `log` (a first index and the terms from the one before it, as in
    /// `SimNode.View`) is a prefix of the whole log of `b`.
    static func isPrefix(_ log: (first: LogIndex, terms: [Term]), of b: SimNode) -> Bool {
        guard Int(log.first.rawValue) + log.terms.count - 2 <= Int(b.logBounds.last.rawValue) else { return false }
        // Entries `b` compacted away since are in its snapshot: committed, and so not overwritten.
        let compacted = b.view.logFirst
        for (offset, term) in log.terms.dropFirst().enumerated() where log.first + UInt64(offset) >= compacted {
            if b.logTerm(at: log.first + UInt64(offset)) != term { return false }
        }
        return true
    }

    /// Whether the leader `b` (still leading in the term it led with `before`) records a lower
    /// `match` for a peer than `before` did, its configuration unchanged (a change applied in
    /// between may remove a peer and add it back, with a new progress).
    static func matchWentBack(from before: ProgressTracker, to b: borrowing SimNode) -> Bool {
        guard before.config == b.box.upNode.raft.tracker.config else { return false }
        for (peer, progress) in zip(before.ids, before.progresses) {
            if b.box.upNode.raft.tracker.progress(of: peer, { $0.match < progress.match }) == true { return true }
        }
        return false
    }
}

extension ClusterModel: WeightedModel {
    /// Event kinds, as named in traces and in `fuzz.weights`.
    public static let kinds = Event.kinds

    public var actionKinds: [String] { Self.kinds }

    public func kind(of event: Event) -> Int { event.kindIndex }

    /// Each node is a thread: it acts, or it receives a delivery. The network's own events
    /// (drop, duplicate, partition, heal) belong to none.
    public func thread(of event: Event) -> Int? {
        switch event {
        case .drop, .duplicate, .partition, .heal, .stabilize: nil
        default: Int(event.node.rawValue)
        }
    }
}

extension ClusterModel {
    /// Whether node `slot` may tick: ticks are on and, under bounded clock drift, its clock is
    /// less than the bound ahead of the slowest node's; after `stabilize`, by the round.
    func mayTick(_ slot: Int, in state: ClusterState) -> Bool {
        // After `stabilize`: once in each round's first half.
        if let calm = state.calm { return !calm.settling && calm.ticked & (1 << UInt8(slot)) == 0 }
        return spec.events.tick && spec.raft.clockDrift.map { state.clock(slot) < $0 } != false
    }

    /// Whether `actions(of: state)` lists `event`: decided by listing only the part of the
    /// events it belongs to (its node's, or the network's), under the same rules.
    public func isEnabled(_ event: Event, in state: ClusterState) -> Bool {
        if let shapes, !shapes.contains(event.shape) { return false }
        var listed: [Event] = []
        switch event {
        case .deliver, .drop, .duplicate, .partition, .heal, .stabilize:
            listNetworkActions(of: state, into: &listed)
        default:
            let slot = Int(event.node.rawValue) - 1
            guard state.nodes.indices.contains(slot) else { return false }
            listActions(ofNode: slot, in: state, into: &listed)
        }
        return listed.contains(event)
    }
}
