import RaftExplorer
import Testing
@testable import RaftSpecModel

/// Exact agreement with TLC on Ongaro's raft.tla (TLC 2.20's complete searches of MCraft.tla): the
/// same distinct states and depth, counted by TLC's rules, with 1 and 2 workers.
@Suite struct TLCAgreementTests {
    static func run(_ spec: RaftTLASpec, workers: Int = 1) throws -> SearchReport<RaftTLAModel.Action> {
        var options = SearchOptions()
        options.workers = workers
        return try BreadthFirstSearch(model: RaftTLAModel(spec: spec), options: options).run()
    }

    static func spec(maxLog: Int, symmetry: Bool = false, history: Bool = true) -> RaftTLASpec {
        var spec = RaftTLASpec()
        spec.maxLog = maxLog
        spec.symmetry = symmetry
        spec.history = history
        return spec
    }

    /// (config, spec, TLC's distinct states, TLC's depth)
    static let rows: [(String, RaftTLASpec, Int, Int)] = [
        ("small", spec(maxLog: 0), 705_532, 39),
        ("tiny", spec(maxLog: 1), 2_379_781, 53),
        ("tiny_sym", spec(maxLog: 1, symmetry: true), 397_346, 53),
        ("tiny_view", spec(maxLog: 1, history: false), 1_931_973, 53),
    ]

    @Test(arguments: rows.indices)
    func matchesTLC(row: Int) throws {
        let (name, spec, distinct, depth) = Self.rows[row]
        let report = try Self.run(spec)
        #expect(report.complete, "\(name)")
        #expect(report.counterexample == nil, "\(name): \(report.counterexample.map { "\($0.property)" } ?? "")")
        #expect(report.stats.distinct == distinct, "\(name)")
        #expect(report.stats.maxDepth == depth, "\(name)")
    }

    @Test func twoWorkersFindTheSameStates() throws {
        let one = try Self.run(Self.spec(maxLog: 0))
        let two = try Self.run(Self.spec(maxLog: 0), workers: 2)
        #expect(one.stats == two.stats)
        let symmetric = try Self.run(Self.spec(maxLog: 1, symmetry: true), workers: 2)
        #expect(symmetric.stats.distinct == 397_346)
    }

    /// The invariants have teeth: a spec with a broken quorum (votes counted without a
    /// majority) violates ElectionSafety.
    @Test func invariantsCatchABrokenState() {
        let model = RaftTLAModel(spec: Self.spec(maxLog: 0))
        var s = model.initialStates[0]
        s.role[0] = .leader
        s.role[1] = .leader
        let electionSafety = model.properties.first { $0.name == "ElectionSafety" }!
        #expect(!electionSafety.holds(s))
        s.currentTerm[1] = 2
        #expect(electionSafety.holds(s))
        s.log[0] = Log.empty.appending(term: 1, value: 0)
        s.log[1] = Log.empty.appending(term: 2, value: 0)
        s.commitIndex[0] = 1
        s.commitIndex[1] = 1
        #expect(!model.properties.first { $0.name == "CommittedPrefixAgree" }!.holds(s))
    }

    @Test func packedLogs() {
        let log = Log.empty.appending(term: 3, value: 1).appending(term: 5, value: 0)
        #expect(log.count == 2 && log.term(1) == 3 && log.term(2) == 5 && log.lastTerm == 5)
        #expect(log.droppingLast() == Log.empty.appending(term: 3, value: 1))
        #expect(log.slice(from: 2, to: 2) == Log.empty.appending(term: 5, value: 0))
        #expect(log.slice(from: 3, to: 2) == .empty)
    }
}
