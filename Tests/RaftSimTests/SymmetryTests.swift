import RaftExplorer
import Testing
@testable import RaftSim

@Suite struct SymmetryTests {
    static func count(_ spec: Spec, everyRelabeling: Bool = false) throws -> SearchReport<Event> {
        var model = ClusterModel(spec: spec)
        model.tryEveryRelabeling = everyRelabeling
        return try BreadthFirstSearch(model: model, options: SearchOptions()).run()
    }

    static var electionSpec: Spec {
        var spec = Spec()
        spec.events.propose = false
        spec.events.heartbeat = false
        spec.bounds.maxTerm = 2
        spec.bounds.maxInFlight = 4
        return spec
    }

    /// Signature-pruned canonicalization (ties refined by how nodes relate) finds exactly as
    /// many orbits as trying all n! relabelings.
    @Test(arguments: [3, 4])
    func signaturePruningIsExact(nodes: Int) throws {
        var spec = Self.electionSpec
        spec.nodes = nodes
        spec.voters = nil
        let pruned = try Self.count(spec)
        let exhaustive = try Self.count(spec, everyRelabeling: true)
        #expect(pruned.complete && exhaustive.complete)
        #expect(pruned.stats.distinct == exhaustive.stats.distinct)
        #expect(pruned.stats.distinct > 1000)
    }
}
