@_spi(Checker) import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

/// Each property catches a hand-built state (or transition) that violates it, and holds on a
/// healthy one.
@Suite struct PropertyTests {
    let voters: [NodeID] = [1, 2, 3]

    func node(_ id: NodeID, terms: [UInt64] = [], hardState: HardState = HardState()) -> RawNode<MemoryStorage> {
        var storage = MemoryStorage(confState: ConfState(voters: voters))
        storage.append(terms.enumerated().map { Entry(term: Term($0.element), index: LogIndex(UInt64($0.offset + 1))) })
        storage.setHardState(hardState)
        return try! RawNode(config: Spec().config(for: id), storage: storage)
    }

    /// Node `id` made leader of `term + 1` with the given log.
    func leader(_ id: NodeID, terms: [UInt64], term: UInt64) -> RawNode<MemoryStorage> {
        var n = node(id, terms: terms, hardState: HardState(term: Term(term)))
        n.campaign()
        let rd = n.ready()
        n.storage.setHardState(rd.hardState!)
        n.advance(rd)
        for peer in voters where peer != id {
            try? n.step(Message(type: .voteResponse, from: peer, to: id, term: Term(term + 1)))
        }
        #expect(n.raft.role == .leader)
        return n
    }

    func state(_ nodes: [RawNode<MemoryStorage>]) -> ClusterState {
        ClusterState(nodes: nodes.map { SimNode(node: $0) })
    }

    func holds(_ name: PropertyName, _ state: ClusterState) -> Bool {
        ClusterModel(spec: Spec()).properties.first { $0.name == name.rawValue }!.holds(state)
    }

    @Test func healthyClusterSatisfiesEveryProperty() {
        let model = ClusterModel(spec: Spec())
        let initial = model.initialStates[0]
        #expect(model.violation(in: initial) == nil)
    }

    @Test func electionSafety() {
        var s = state([node(1), node(2), node(3)])
        s.history.leaders = [.init(term: 2, leader: 1), .init(term: 3, leader: 1)]
        #expect(holds(.electionSafety, s))
        s.history.leaders = [.init(term: 2, leader: 1), .init(term: 2, leader: 3)]
        #expect(!holds(.electionSafety, s))
    }

    @Test func logMatching() {
        #expect(holds(.logMatching, state([node(1, terms: [1, 2]), node(2, terms: [1, 3]), node(3)])))
        #expect(!holds(.logMatching, state([node(1, terms: [1, 2, 3]), node(2, terms: [2, 2, 3]), node(3)])))
    }

    @Test func leaderCompleteness() {
        var s = state([leader(1, terms: [1], term: 1), node(2, terms: [1]), node(3)])
        s.history.committed = [.init(entry: Entry(term: 1, index: 1), term: 1, before: Self.nodes123, after: Self.nodes123)]
        #expect(holds(.leaderCompleteness, s))
        s.nodes[0] = SimNode(node: leader(1, terms: [2], term: 2))
        #expect(!holds(.leaderCompleteness, s))
    }

    /// Checked as entries are applied (the model's history recording), and as a whole-state
    /// predicate.
    @Test func stateMachineSafety() {
        let model = ClusterModel(spec: Spec())
        var before = state([node(1, terms: [1]), node(2, terms: [1]), node(3)])
        before.history.committed = [.init(entry: Entry(term: 1, index: 1), term: 1, before: Self.nodes123, after: Self.nodes123)]
        var after = before
        after.nodes[1].applied = [Entry(term: 1, index: 1)]
        model.recordHistory(of: 2, before: .init(before[2]), after: &after)
        #expect(holds(.stateMachineSafety, after) && after.stateMachineSafety)
        var wrong = after
        wrong.nodes[0].applied = [Entry(term: 2, index: 1)]
        model.recordHistory(of: 1, before: .init(after[1]), after: &wrong)
        #expect(!holds(.stateMachineSafety, wrong) && !wrong.stateMachineSafety)
        var early = after
        early.nodes[2].applied = [Entry(term: 1, index: 1), Entry(term: 1, index: 2)]
        model.recordHistory(of: 3, before: .init(after[3]), after: &early)
        #expect(!holds(.stateMachineSafety, early) && !early.stateMachineSafety)
    }

    /// Voters 1, 2 and 3 (bit i: node i + 1).
    static let nodes123 = History.Voters(incoming: 0b111)

    @Test func committedDurable() {
        var s = state([node(1, terms: [1]), node(2, terms: [1]), node(3)])
        s.history.committed = [.init(entry: Entry(term: 1, index: 1), term: 1, before: Self.nodes123, after: Self.nodes123)]
        #expect(holds(.committedDurable, s))
        s.nodes[1] = SimNode(node: node(2))
        #expect(!holds(.committedDurable, s))
    }

    /// In a joint configuration an entry needs a majority of each half: nodes 1 and 3 are all
    /// of the incoming half {1, 3} but only half of the outgoing {1, 2}.
    @Test func committedDurableInAJointConfiguration() {
        var s = state([node(1, terms: [1]), node(2), node(3, terms: [1])])
        let joint = History.Voters(incoming: 0b101, outgoing: 0b011)
        s.history.committed = [.init(entry: Entry(term: 1, index: 1), term: 1, before: joint, after: joint)]
        #expect(!holds(.committedDurable, s))
        s.nodes[1] = SimNode(node: node(2, terms: [1]))
        #expect(holds(.committedDurable, s))
    }

    @Test func coreInvariants() {
        var faulty = node(2)
        try? faulty.step(Message(type: .heartbeat, from: 1, to: 2, term: 1, commit: 5))
        #expect(faulty.raft.fault != nil)
        #expect(holds(.coreInvariants, state([node(1), node(2), node(3)])))
        #expect(!holds(.coreInvariants, state([node(1), faulty, node(3)])))
    }

    /// Transition properties: the model's history recording flags a leader that rewrote its log
    /// in its term, and a commit index that went back.
    @Test func transitionProperties() {
        let model = ClusterModel(spec: Spec())
        let before = state([leader(1, terms: [1, 1], term: 1), node(2), node(3)])
        var after = before
        after.nodes[0] = SimNode(node: leader(1, terms: [1], term: 1))
        model.recordHistory(of: 1, before: .init(before[1]), after: &after)
        #expect(!holds(.leaderAppendOnly, after))
        #expect(holds(.leaderAppendOnly, before))

        let committed = state([node(1, terms: [1, 1], hardState: HardState(term: 1, commit: 2)), node(2), node(3)])
        var regressed = committed
        regressed.nodes[0] = SimNode(node: node(1, terms: [1, 1], hardState: HardState(term: 1, commit: 1)))
        model.recordHistory(of: 1, before: .init(committed[1]), after: &regressed)
        #expect(!holds(.monotonicCommit, regressed))
        var progressed = regressed
        progressed.history.broken = []
        model.recordHistory(of: 1, before: .init(regressed[1]), after: &progressed)
        #expect(holds(.monotonicCommit, progressed))

        // A vote withdrawn or changed within its term; a new term may carry a new vote.
        let voted = state([node(1, hardState: HardState(term: 2, vote: 3)), node(2), node(3)])
        for (hardState, kept) in [(HardState(term: 2), false), (HardState(term: 2, vote: 2), false),
                                  (HardState(term: 3), true), (HardState(term: 2, vote: 3), true)] {
            var next = voted
            next.nodes[0] = SimNode(node: node(1, hardState: hardState))
            model.recordHistory(of: 1, before: .init(voted[1]), after: &next)
            #expect(holds(.oneVotePerTerm, next) == kept, "\(hardState)")
        }
    }

    /// The incremental check of state machine safety agrees with the whole-state predicate on
    /// every state of seeded random walks that go on past violations (under mutations that let
    /// nodes apply different entries), and both sides of the agreement occur.
    @Test func stateMachineSafetyCheckedAsAppliedAgreesWithTheWholeState() {
        var seen = (safe: 0, unsafe: 0)
        for mutation in ["skip-prev-log-check", "commit-previous-term", "quorum-off-by-one"] {
            var spec = Spec()
            spec.events.drop = true
            spec.bounds.maxTerm = 4
            spec.bounds.maxProposals = 3
            spec.bounds.maxDrops = 4
            spec.mutation = mutation
            let model = ClusterModel(spec: spec)
            var events: [Event] = []
            for run in 0..<200 {
                var rng = Xoshiro256(seed: runSeed(7, run))
                var state = model.initialStates[0]
                for _ in 0..<60 {
                    events.removeAll()
                    model.actions(of: state, into: &events)
                    let successors = events.compactMap { model.nextState(after: state, action: $0) }.filter(model.withinBoundary)
                    guard !successors.isEmpty else { break }
                    state = successors[Int(rng.next(below: UInt64(successors.count)))]
                    let flagged = state.history.broken.contains(.stateMachineSafety)
                    #expect(flagged == !state.stateMachineSafety)
                    if flagged { seen.unsafe += 1 } else { seen.safe += 1 }
                }
            }
        }
        #expect(seen.safe > 0 && seen.unsafe > 0, "\(seen)")
    }
}
