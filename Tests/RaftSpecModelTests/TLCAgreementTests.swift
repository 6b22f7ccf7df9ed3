import RaftExplorer
import Testing
@testable import RaftSpecModel

/// Exact agreement with TLC on Ongaro's raft.tla (shared/conformance/tlc-raft/RESULTS.md):
/// the same distinct states and depth, with 1 and 2 workers.
@Suite struct TLCAgreementTests {
    static func run(_ spec: RaftTLASpec, workers: Int = 1) -> SearchReport<RaftTLAModel.Action> {
        var options = SearchOptions()
        options.workers = workers
        return BreadthFirstSearch(model: RaftTLAModel(spec: spec), options: options).run()
    }

    /// small.cfg: MaxTerm 2, MaxLogLen 0, MaxMsgs 1, MaxDup 1, history kept.
    @Test(arguments: [1, 2])
    func smallMatchesTLC(workers: Int) {
        var spec = RaftTLASpec()
        spec.maxLog = 0
        let report = Self.run(spec, workers: workers)
        #expect(report.complete)
        #expect(report.counterexample == nil)
        #expect(report.stats.distinct == 705_532)
        #expect(report.stats.maxDepth == 39)
    }
}
