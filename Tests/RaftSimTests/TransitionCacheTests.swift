@_spi(Checker) import RaftCore
import Testing
@testable import RaftExplorer
@testable import RaftSim

/// Walks that remember transitions (`TransitionCache`) take exactly the steps, count exactly the
/// states and find exactly the violations that walks computing every successor do: with a
/// cache too small to keep anything long (constant replacement) and with the default one.
@Suite struct TransitionCacheTests {
    static let specs: [String: Spec] = {
        var replication = Spec()
        replication.bounds.maxProposals = 2
        replication.bounds.maxInFlight = 3
        var split = Spec()
        split.events.readySteps = .split
        (split.events.crash, split.events.restart, split.events.propose) = (true, true, false)
        (split.bounds.maxCrashes, split.bounds.maxRestarts) = (1, 1)
        var network = Spec()
        (network.events.partition, network.events.drop, network.events.duplicate) = (true, true, true)
        (network.bounds.maxPartitions, network.bounds.maxDrops, network.bounds.maxDuplicates) = (1, 1, 1)
        var reads = Spec()
        (reads.events.read, reads.events.tick, reads.raft.preVote, reads.raft.checkQuorum) = (true, true, true, true)
        var membership = Spec()
        (membership.nodes, membership.voters, membership.symmetry, membership.events.reconfigure) = (3, 2, false, true)
        var swarm = Spec()
        (swarm.nodes, swarm.fuzz.minNodes) = (4, 2)
        var mutant = Spec()
        mutant.mutation = "quorum-off-by-one"
        return ["replication": replication, "split-crash": split, "network": network, "reads-ticks": reads,
                "membership": membership, "swarm": swarm, "mutant": mutant]
    }()

    struct Outcome: Equatable, CustomStringConvertible {
        var stats: FuzzStats
        var violation: (run: Int, actions: [Event])?
        /// The runs that found new states, with their walks.
        var novelRuns: [(run: Int, actions: [Event])]

        var description: String {
            "\(stats), violation \(violation.map { "at run \($0.run), \($0.actions.count) events" } ?? "none"), \(novelRuns.count) novel runs"
        }

        static func == (a: Outcome, b: Outcome) -> Bool {
            a.stats == b.stats && a.novelRuns.map(\.run) == b.novelRuns.map(\.run) && a.novelRuns.map(\.actions) == b.novelRuns.map(\.actions)
                && a.violation?.run == b.violation?.run && a.violation?.actions == b.violation?.actions
        }
    }

    /// A campaign remembering 2^`transitions` transitions and 2^`states` states per worker
    /// (0: none); the hits: candidates the transitions answered for, states taken from those kept.
    static func fuzz(_ spec: Spec, novelty: Bool, pct: Bool, transitions: Int, states: Int) -> (Outcome, hits: Int, stateHits: Int) {
        var options = FuzzOptions()
        (options.seed, options.runs, options.depth, options.workers) = (11, 300, 60, 1)
        (options.novelty, options.pct, options.frontier, options.swarm) = (novelty, pct, pct, spec.fuzz.minNodes != nil)
        (options.rememberedTransitionsLog2, options.rememberedStatesLog2) = (transitions, states)
        let search = RandomSearch(model: ClusterModel(spec: spec), options: options,
                                  swarmVariants: spec.swarmVariants.dropFirst().map { ClusterModel(spec: $0) })
        var novel: [(run: Int, actions: [Event])] = []
        let report = search.run(onRound: { novel += $0.novelRuns.map { ($0.run, $0.actions) } })
        let outcome = Outcome(stats: report.stats, violation: report.violation.map { ($0.run, $0.actions) }, novelRuns: novel)
        return (outcome, search.rememberedSuccessors, search.reusedStates)
    }

    @Test(arguments: specs.keys.sorted())
    func rememberedTransitionsChangeNothing(spec name: String) {
        let spec = Self.specs[name]!
        for (novelty, pct) in [(true, false), (false, false), (true, true)] {
            let computed = Self.fuzz(spec, novelty: novelty, pct: pct, transitions: 0, states: 0)
            let crowded = Self.fuzz(spec, novelty: novelty, pct: pct, transitions: 4, states: 3)
            let transitionsOnly = Self.fuzz(spec, novelty: novelty, pct: pct, transitions: 18, states: 0)
            let remembered = Self.fuzz(spec, novelty: novelty, pct: pct, transitions: 18, states: 16)
            let mode = "\(name), novelty \(novelty), pct \(pct)"
            #expect(crowded.0 == computed.0, "\(mode): crowded caches")
            #expect(transitionsOnly.0 == computed.0, "\(mode): transitions only")
            #expect(remembered.0 == computed.0, "\(mode)")
            #expect(computed.hits == 0 && computed.stateHits == 0 && transitionsOnly.stateHits == 0)
            // Walks retrace their first steps: the caches answer for a good part of them.
            #expect(transitionsOnly.hits > computed.0.stats.events / 20, "\(mode): \(transitionsOnly.hits) hits")
            #expect(remembered.stateHits > computed.0.stats.events / 20, "\(mode): \(remembered.stateHits) states taken")
        }
    }

    /// The relabeling a fingerprint comes with writes the state as the encoding it hashes (on
    /// the states of a random walk, restarted where it gets stuck).
    @Test func canonicalRelabelingWritesTheHashedEncoding() {
        let model = ClusterModel(spec: Self.specs["replication"]!)
        var encoder = StateEncoder()
        var permuted = 0
        var state = model.initialStates[0]
        var enabled: [Event] = []
        var rng = Xoshiro256(seed: 3)
        for _ in 0..<400 {
            let (fp, relabeling) = model.canonicalFingerprint(of: state, width: .bits64, encoder: &encoder)
            let labels = Labels(relabeling!)
            encoder.reset()
            model.encode(state, labels, into: &encoder)
            #expect(encoder.hash(.bits64) == fp)
            if relabeling != .identity(3) { permuted += 1 }
            enabled.removeAll()
            model.actions(of: state, into: &enabled)
            let next = enabled.lazy.compactMap { model.nextState(after: state, action: $0) }.filter(model.withinBoundary)
            guard !next.isEmpty else { state = model.initialStates[0]; continue }
            state = Array(next)[Int(rng.next(below: UInt64(next.count)))]
        }
        #expect(permuted > 0)
    }
}
