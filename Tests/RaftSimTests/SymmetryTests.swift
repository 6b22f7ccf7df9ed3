import RaftExplorer
import Testing
@testable import RaftSim

@Suite struct SymmetryTests {
    static func count(_ spec: Spec, everyRelabeling: Bool = false) -> SearchReport<Event> {
        var model = ClusterModel(spec: spec)
        model.tryEveryRelabeling = everyRelabeling
        return BreadthFirstSearch(model: model, options: SearchOptions()).run()
    }

    static var electionSpec: Spec {
        var spec = Spec()
        spec.events.propose = false
        spec.events.heartbeat = false
        spec.bounds.maxTerm = 2
        spec.bounds.maxInFlight = 4
        return spec
    }

    /// Signature-pruned canonicalization finds exactly as many orbits as trying all 3! relabelings.
    @Test func signaturePruningIsExact() {
        let pruned = Self.count(Self.electionSpec)
        let exhaustive = Self.count(Self.electionSpec, everyRelabeling: true)
        #expect(pruned.complete && exhaustive.complete)
        #expect(pruned.stats.distinct == exhaustive.stats.distinct)
    }
}
