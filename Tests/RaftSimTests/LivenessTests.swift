@_spi(Checker) import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

/// Bounded liveness after `stabilize`: the fair-round rules, the verdicts on the real core, and
/// the liveness mutations caught with traces that replay.
@Suite struct LivenessTests {
    /// The initial election of three fresh nodes, faults over from the start.
    static var initialElection: Spec {
        var spec = Spec()
        spec.raft.electionTicks = 10
        spec.events.timeout = false
        spec.events.heartbeat = false
        spec.events.propose = false
        var liveness = Spec.Liveness()
        (liveness.leaderWithin, liveness.commitWithin) = (150, 20)
        spec.liveness = liveness
        return spec
    }

    /// Faults of every kind before `stabilize`, the production options.
    static var faulty: Spec {
        var spec = initialElection
        spec.raft.preVote = true
        spec.raft.checkQuorum = true
        spec.events.propose = true
        spec.events.tick = true
        for flag in [\Spec.EventOptions.drop, \.crash, \.restart, \.partition] { spec.events[keyPath: flag] = true }
        spec.bounds.maxTerm = 5
        spec.bounds.maxProposals = 2
        spec.bounds.maxInFlight = 8
        (spec.bounds.maxCrashes, spec.bounds.maxRestarts, spec.bounds.maxDrops, spec.bounds.maxPartitions) = (1, 1, 2, 1)
        return spec
    }

    static func search(_ spec: Spec) throws -> SearchReport<Event> {
        try BreadthFirstSearch(model: ClusterModel(spec: spec), options: SearchOptions()).run()
    }

    @Test func theRealCoreElectsAndReplicatesUnderEveryFairSchedule() throws {
        let report = try Self.search(Self.initialElection)
        #expect(report.complete)
        #expect(report.counterexample == nil)
        // The verdicts were given: searches ran past the leader bound.
        #expect(!report.unsatisfiedSometimes.contains("liveness_judged"))
        #expect(report.stats.maxDepth > 150 * 3)
    }

    @Test func timeoutsThatAreNotRandomizedSplitTheVoteForever() throws {
        var spec = Self.initialElection
        spec.mutation = "election-timeout-not-randomized"
        let report = try Self.search(spec)
        let counterexample = try #require(report.counterexample)
        #expect(counterexample.property == PropertyName.eventuallyLeader.rawValue)
        let model = ClusterModel(spec: spec)
        let replayed = model.replay(counterexample.actions)
        #expect(replayed.divergedAt == nil)
        #expect(model.violation(in: replayed.states.last!) == PropertyName.eventuallyLeader.rawValue)
        // Past the bound, no leader: every round ended without one being followed.
        #expect(Int(replayed.states.last!.calm!.round) == spec.liveness!.leaderWithin + 1)
        var minimizer = Minimizer(model: model, property: counterexample.property)
        let result = minimizer.minimize(counterexample.actions)
        let minimized = try #require(result)
        #expect(minimized.count <= counterexample.actions.count)
        #expect(minimizer.model.violation(in: minimizer.model.replay(minimized).states.last!) == counterexample.property)
    }

    /// Random walks through faults, then fair rounds: after `stabilize` no fault, macro-step or
    /// operator event is ever enabled, each up node ticks once a round, and nothing is
    /// delivered while the round's ticks are under way.
    @Test func roundsAreFair() {
        let model = ClusterModel(spec: Self.faulty)
        var rng = Xoshiro256(seed: 7)
        var enabled: [Event] = []
        var judged = 0
        for _ in 0..<40 {
            var state = model.initialStates[0]
            var tickedThisRound: [Int] = []
            for _ in 0..<3000 {
                enabled.removeAll()
                model.actions(of: state, into: &enabled)
                guard !enabled.isEmpty else { break }
                if let calm = state.calm {
                    for event in enabled {
                        #expect(ClusterModel.allowedWhenCalm(event.eventKind), "\(event)")
                        if case .tick(let id) = event {
                            #expect(!calm.settling && calm.ticked & (1 << UInt8(id.rawValue - 1)) == 0)
                        }
                        if case .deliver = event { #expect(calm.settling) }
                    }
                }
                let event = enabled[Int(rng.next(below: UInt64(enabled.count)))]
                guard let next = model.nextState(after: state, action: event), model.withinBoundary(next) else { break }
                if state.calm != nil, case .tick(let id) = event { tickedThisRound.append(Int(id.rawValue)) }
                if let before = state.calm, let after = next.calm, after.round > before.round {
                    // Round 0 only settles what was in flight when faults stopped.
                    let up = state.nodes.indices.filter { state.nodes[$0].isUp }.map { $0 + 1 }
                    #expect(tickedThisRound.sorted() == (before.round == 0 ? [] : up), "round \(after.round)")
                    tickedThisRound = []
                    judged += 1
                }
                #expect(model.violation(in: next) == nil, "\(event)")
                state = next
            }
        }
        #expect(judged > 100)
    }

    /// A round ends only once the application reported every snapshot a leader sent, as a
    /// transport does when a send ends, delivered or lost. Without that rule, a walk that never
    /// reports (a swarm run may give `report-snapshot` no weight) left a leader waiting for a
    /// lost snapshot through every round, and `eventually_replicated` failed on the real core.
    @Test func roundsWaitForSnapshotReports() {
        var spec = Self.faulty
        spec.events.compact = true
        (spec.bounds.maxProposals, spec.bounds.maxCompactions, spec.bounds.maxDrops) = (3, 2, 4)
        let model = ClusterModel(spec: spec)
        let leaderHoldsReport = { (state: ClusterState) in
            state.nodes.indices.contains { slot in
                state.nodes[slot].isUp && state.nodes[slot].view.role == .leader && state.unreportedSnapshots(sentBy: slot) != 0
            }
        }
        var rng = Xoshiro256(seed: 3)
        var enabled: [Event] = []
        var (heldAtCalm, roundEnds) = (0, 0)
        for _ in 0..<300 {
            var state = model.initialStates[0]
            for _ in 0..<600 {
                enabled.removeAll()
                model.actions(of: state, into: &enabled)
                // Faults stop as soon as a leader awaits a report; reports only when nothing else
                // is enabled: the walks most likely to end a round without one.
                let stop = state.calm == nil && leaderHoldsReport(state)
                let others = enabled.filter { stop ? $0 == .stabilize : $0.eventKind != .reportSnapshot && $0 != .stabilize }
                let choices = others.isEmpty ? enabled : others
                guard !choices.isEmpty else { break }
                let event = choices[Int(rng.next(below: UInt64(choices.count)))]
                guard let next = model.nextState(after: state, action: event), model.withinBoundary(next) else { break }
                if state.calm != nil && leaderHoldsReport(state) { heldAtCalm += 1 }
                if let before = state.calm, let after = next.calm, after.round > before.round {
                    #expect(!leaderHoldsReport(next), "round \(after.round) ended with a snapshot unreported")
                    roundEnds += 1
                }
                state = next
            }
        }
        #expect(heldAtCalm > 0 && roundEnds > 100)
    }

    /// Walks of `spec` (seed 1, `runs` of them, each at most `depth` events) on the real core,
    /// which must find nothing, then
    /// with `mutation`: what those found, and the mutated model.
    static func cleanThenCaught(_ spec: Spec, mutation: String, runs: Int, depth: Int = 4000) throws -> (ClusterModel, FuzzViolation<Event>) {
        var options = FuzzOptions(spec: spec, seed: 1, workers: 1)
        (options.runs, options.depth) = (runs, depth)
        #expect(RandomSearch(model: ClusterModel(spec: spec), options: options).run().violation == nil)
        var mutated = spec
        mutated.mutation = mutation
        let model = ClusterModel(spec: mutated)
        return (model, try #require(RandomSearch(model: model, options: options).run().violation))
    }

    @Test func aFollowerNeverBroughtBackIsCaught() throws {
        var spec = Self.faulty
        spec.raft.maxInflight = 4
        spec.bounds.maxProposals = 4
        let (_, found) = try Self.cleanThenCaught(spec, mutation: "rejection-keeps-next-index", runs: 300)
        #expect(found.property == PropertyName.eventuallyReplicated.rawValue)
    }

    /// With CheckQuorum a leader cut off for good (`heal: false`) steps down; with
    /// `check-quorum-never-resets` it leads on alone, and `eventually_leader` fails.
    @Test func aLeaderCutOffStepsDown() throws {
        var spec = Self.initialElection
        (spec.raft.preVote, spec.raft.checkQuorum) = (true, true)
        for flag in [\Spec.EventOptions.tick, \.timeout, \.heartbeat, \.propose, \.crash, \.partition] { spec.events[keyPath: flag] = true }
        (spec.bounds.maxTerm, spec.bounds.maxProposals, spec.bounds.maxInFlight) = (4, 2, 6)
        (spec.bounds.maxCrashes, spec.bounds.maxPartitions) = (1, 1)
        spec.liveness!.heal = false
        let (model, found) = try Self.cleanThenCaught(spec, mutation: "check-quorum-never-resets", runs: 100)
        #expect(found.property == PropertyName.eventuallyLeader.rawValue)
        let last = try #require(model.replay(found.actions).states.last)
        #expect(model.hasCutOffLeader(last))
    }

    @Test func boundsAreChecked() {
        var spec = Self.initialElection
        spec.liveness!.leaderWithin = 0
        spec.liveness!.commitWithin = Spec.Liveness.maxRounds + 1
        spec.events.deliver = false
        let fields = spec.problems().map(\.field)
        #expect(fields.contains("liveness.leader_within"))
        #expect(fields.contains("liveness.commit_within"))
        #expect(fields.contains("liveness"))
    }
}
