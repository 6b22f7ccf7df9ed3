import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

/// Membership changes in the cluster model: `reconfigure` events drive RaftCore's single-step
/// changes, applied and persisted by the simulated application; specs that enable them are
/// validated; the committing configuration decides how many nodes must keep an entry.
@Suite struct MembershipModelTests {
    static var spec: Spec {
        var spec = Spec()
        spec.nodes = 4
        spec.voters = 3
        spec.symmetry = false
        spec.events.heartbeat = false
        spec.events.reconfigure = true
        spec.bounds.maxConfChanges = 2
        spec.bounds.maxInFlight = 12
        return spec
    }

    /// Delivers every message until the network is empty (a bounded number of rounds).
    static func settle(_ model: ClusterModel, _ state: inout ClusterState) {
        for _ in 0..<200 {
            guard let message = state.network.first, let next = model.nextState(after: state, action: .deliver(message)) else { return }
            state = next
        }
    }

    @Test func addingAVoterTakesEffectWhenApplied() throws {
        let model = ClusterModel(spec: Self.spec)
        var state = model.initialStates[0]
        #expect(state.nodes.allSatisfy { $0.storage.confState.voters == [1, 2, 3] })
        #expect(!model.isEnabled(.timeout(4), in: state), "an outsider never campaigns")
        state = try #require(model.nextState(after: state, action: .timeout(1)))
        Self.settle(model, &state)
        var enabled: [Event] = []
        model.actions(of: state, into: &enabled)
        let add4 = Event.reconfigure(1, ConfChangeSingle(.addVoter, 4))
        #expect(enabled.contains(add4) && !enabled.contains(.reconfigure(1, ConfChangeSingle(.addVoter, 2))))
        state = try #require(model.nextState(after: state, action: add4))
        Self.settle(model, &state)
        for slot in 0..<4 {
            #expect(state.nodes[slot].storage.confState.voters == [1, 2, 3, 4], "node \(slot + 1)")
        }
        #expect(state.counters.confChanges == 1)
        #expect(model.violation(in: state) == nil)
        // The change itself was committed by the old configuration; entries after it need three
        // of the four nodes.
        #expect(state.history.committed.last?.before.incoming == 0b0111)
        #expect(state.history.committed.last?.after.incoming == 0b1111)
        state = try #require(model.nextState(after: state, action: .propose(1)))
        Self.settle(model, &state)
        #expect(state.history.committed.last?.entry.data == [1])
        #expect(state.history.committed.last?.before == History.Voters(incoming: 0b1111))
    }

    @Test func theLastVoterCannotBeRemoved() throws {
        var spec = Self.spec
        spec.nodes = 1
        spec.voters = 1
        let model = ClusterModel(spec: spec)
        let state = try #require(model.nextState(after: model.initialStates[0], action: .timeout(1)))
        #expect(model.changes(of: state.nodes[0].node!.raft.tracker.config).isEmpty)
    }

    @Test func specsWithMembershipAreValidated() {
        var spec = Self.spec
        spec.symmetry = true
        #expect(spec.problems().map(\.field) == ["events.reconfigure"])
        spec = Self.spec
        spec.voters = 5
        #expect(spec.problems().map(\.field) == ["voters"])
    }

    /// Three voters, changes by one node at a time, terms up to 2 (as specs/membership-3.yaml).
    static var threeVoters: Spec {
        var spec = Self.spec
        spec.nodes = 3
        spec.voters = nil
        spec.bounds.maxInFlight = 4
        spec.bounds.maxTerm = 2
        return spec
    }

    /// Seeded walks of `threeVoters` under the mutation that accepts a second pending change.
    static var walks: FuzzOptions {
        var fuzz = FuzzOptions()
        fuzz.seed = 1
        fuzz.runs = 2_000
        fuzz.depth = 100
        return fuzz
    }

    /// The real core stays clean under a bounded search with changes, and the mutation that
    /// accepts a second pending change is caught by a seeded random walk.
    @Test func twoPendingChangesCaughtRealCoreClean() throws {
        var spec = Self.threeVoters
        var options = SearchOptions()
        options.maxStates = 60_000
        options.workers = 2
        let bfs = try BreadthFirstSearch(model: ClusterModel(spec: spec), options: options).run()
        #expect(bfs.counterexample == nil)
        spec.mutation = "two-pending-conf-changes"
        let report = RandomSearch(model: ClusterModel(spec: spec), options: Self.walks).run()
        #expect(report.violation != nil)
    }

    /// Without novelty, walks that skip fingerprinting (as the minimizer's do) take the same
    /// steps and find the same violation; only the distinct count is left out.
    @Test func walksWithoutFingerprintsAreTheSame() {
        var spec = Self.threeVoters
        spec.mutation = "two-pending-conf-changes"
        var fuzz = Self.walks
        fuzz.novelty = false
        let counted = RandomSearch(model: ClusterModel(spec: spec), options: fuzz).run()
        fuzz.countsDistinct = false
        let blind = RandomSearch(model: ClusterModel(spec: spec), options: fuzz).run()
        #expect(counted.violation != nil)
        #expect(blind.violation?.run == counted.violation?.run && blind.violation?.actions == counted.violation?.actions)
        #expect(blind.stats.events == counted.stats.events && blind.stats.runs == counted.stats.runs)
        #expect(counted.stats.distinct > 1 && blind.stats.distinct == 1)
    }

    /// The model checks each applied change against what it asked for, independently of the
    /// configuration changer: a demoted voter waits in `learnersNext` while joint and is a
    /// learner once the joint configuration is left, not gone.
    @Test func anAppliedChangeMustDoWhatItAsks() {
        let stable = ConfState(voters: [1, 2, 3], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false)
        let joint = ConfState(voters: [1, 2, 4], learners: [], votersOutgoing: [1, 2, 3], learnersNext: [3], autoLeave: false)
        let enter = ConfChange([ConfChangeSingle(.addVoter, 4), ConfChangeSingle(.addLearner, 3)], transition: .jointExplicit)
        #expect(ClusterModel.doesWhatItAsks(enter, from: stable, to: joint))
        let demotedToNothing = ConfState(voters: [1, 2, 4], learners: [], votersOutgoing: [1, 2, 3], learnersNext: [], autoLeave: false)
        #expect(!ClusterModel.doesWhatItAsks(enter, from: stable, to: demotedToNothing))
        let left = ConfState(voters: [1, 2, 4], learners: [3], votersOutgoing: [], learnersNext: [], autoLeave: false)
        let dropped = ConfState(voters: [1, 2, 4], learners: [], votersOutgoing: [], learnersNext: [], autoLeave: false)
        #expect(ClusterModel.doesWhatItAsks(.leaveJoint, from: joint, to: left))
        #expect(!ClusterModel.doesWhatItAsks(.leaveJoint, from: joint, to: dropped))
        #expect(!ClusterModel.doesWhatItAsks(ConfChange([ConfChangeSingle(.remove, 3)]), from: stable, to: stable))
    }
}
