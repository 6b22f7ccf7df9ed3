@_spi(Checker) import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

/// The cluster model under search: worker-independence, symmetry, mutations caught with a
/// shortest counterexample that replays, and determinism of the encoding.
@Suite struct ExplorationTests {
    static func search(_ spec: Spec, workers: Int = 1, maxDepth: Int? = nil) throws -> SearchReport<Event> {
        var options = SearchOptions()
        options.workers = workers
        options.maxDepth = maxDepth ?? spec.bounds.maxDepth
        return try BreadthFirstSearch(model: ClusterModel(spec: spec), options: options).run()
    }

    /// Elections only: small enough for a debug build.
    static var elections: Spec {
        var spec = Spec()
        spec.events.propose = false
        spec.events.heartbeat = false
        spec.bounds.maxTerm = 2
        spec.bounds.maxInFlight = 3
        return spec
    }

    /// Replication with a third term, one entry per append.
    static var replication: Spec {
        var spec = Spec()
        spec.events.heartbeat = false
        spec.bounds.maxTerm = 3
        spec.bounds.maxProposals = 2
        spec.bounds.maxInFlight = 3
        return spec
    }

    @Test func oneAndTwoWorkersFindTheSameStates() throws {
        let one = try Self.search(Self.elections)
        let two = try Self.search(Self.elections, workers: 2)
        #expect(one.complete && two.complete)
        #expect(one.stats == two.stats)
        #expect(one.stats.distinct > 1000)
    }

    @Test func symmetryReducesTheCountAndFindsTheSameViolation() throws {
        var spec = Self.elections
        spec.mutation = "skip-log-up-to-date-check"
        spec.events.propose = true
        var off = spec
        off.symmetry = false
        let clean = try Self.search(Self.elections)
        var cleanOff = Self.elections
        cleanOff.symmetry = false
        let cleanAsymmetric = try Self.search(cleanOff)
        #expect(clean.stats.distinct < cleanAsymmetric.stats.distinct)
        let with = try Self.search(spec)
        let without = try Self.search(off)
        #expect(with.counterexample?.property == without.counterexample?.property)
        #expect(with.counterexample?.actions.count == without.counterexample?.actions.count)
        #expect(with.counterexample != nil)
    }

    /// A mutation is caught; the trace replays to the same property; no shorter trace exists
    /// (BFS to one level less is clean); the real core replays the same events clean or diverges.
    @Test(arguments: ["skip-prev-log-check", "skip-log-up-to-date-check"])
    func mutationCaughtWithAShortestTrace(name: String) throws {
        var spec = Self.replication
        spec.mutation = name
        let report = try Self.search(spec)
        guard let counterexample = report.counterexample else {
            Issue.record("\(name) not caught")
            return
        }
        let model = ClusterModel(spec: spec)
        let (states, diverged) = model.replay(counterexample.actions)
        #expect(diverged == nil)
        #expect(model.violation(in: states.last!) == counterexample.property)
        #expect(states.dropLast().allSatisfy { model.violation(in: $0) == nil })
        let shallower = try Self.search(spec, maxDepth: counterexample.actions.count)
        #expect(shallower.counterexample == nil, "a shorter counterexample exists")

        var real = spec
        real.mutation = nil
        let replayed = ClusterModel(spec: real).replay(counterexample.actions)
        #expect(replayed.divergedAt != nil || replayed.states.allSatisfy { ClusterModel(spec: real).violation(in: $0) == nil })
    }

    /// The Raft paper's Figure 8, found by the explorer on its own: under
    /// `commit-previous-term`, BFS over specs/figure8-3.yaml reaches a leader lacking an entry
    /// that was committed by counting replicas of an earlier term (30 events, about 6 million
    /// states; the heaviest test of the suite, run with two workers).
    @Test func commitPreviousTermCaughtOnFigure8() throws {
        var spec = Spec()
        spec.name = "figure8-3"
        spec.raft.maxSizePerMessage = 0
        spec.events.heartbeat = false
        spec.events.drop = true
        spec.bounds.maxTerm = 4
        spec.bounds.maxProposals = 1
        spec.bounds.maxInFlight = 3
        spec.bounds.maxDrops = 3
        spec.mutation = "commit-previous-term"
        let report = try Self.search(spec, workers: 2)
        guard let counterexample = report.counterexample else {
            Issue.record("commit-previous-term not caught")
            return
        }
        #expect(counterexample.property == "leader_completeness")
        #expect(counterexample.actions.count == 30)
        let model = ClusterModel(spec: spec)
        let (states, diverged) = model.replay(counterexample.actions)
        #expect(diverged == nil && model.violation(in: states.last!) == "leader_completeness")
    }

    @Test func fingerprintsAreStableAcrossModelsAndEncoders() {
        let model = ClusterModel(spec: Self.replication)
        var state = model.initialStates[0]
        var events: [Event] = []
        // A fixed walk: always the first enabled event.
        for _ in 0..<12 {
            events.removeAll()
            model.actions(of: state, into: &events)
            state = model.nextState(after: state, action: events[0])!
        }
        var a = StateEncoder(), b = StateEncoder(capacity: 1)
        let other = ClusterModel(spec: Self.replication)
        #expect(model.fingerprint(of: state, width: .bits64, encoder: &a) == other.fingerprint(of: state, width: .bits64, encoder: &b))
        #expect(model.fingerprint(of: state, width: .bits128, encoder: &a).high != 0)
    }
}
