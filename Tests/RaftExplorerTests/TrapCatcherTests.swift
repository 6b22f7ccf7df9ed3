import Glibc
import Testing
@testable import RaftExplorer

/// A step that traps ends the process, with status 1, after the search reported the path to
/// it: the way a fuzzer keeps the input that crashed it. Each search runs in a child process.
@Suite struct TrapCatcherTests {
    @Test func breadthFirstSearchReportsTheShortestPathToTheTrap() async throws {
        let result = try await #require(processExitsWith: .exitCode(1), observing: [\.standardOutputContent]) {
            TrapCatcher.install()
            var model = Counters()
            model.trapsAt = Counters.State(a: 2, b: 1)
            var options = SearchOptions()
            options.workers = 2
            let search = BreadthFirstSearch(model: model, options: options)
            search.onTrap = { counterexample, signal in
                let a = counterexample.actions.count { $0 == .incrementA }
                print("trapped: \(counterexample.property) \(TrapCatcher.name(of: signal)) after \(counterexample.actions.count) actions, \(a) of them incrementA")
            }
            _ = try search.run()
            print("not trapped")
        }
        let output = String(decoding: result.standardOutputContent, as: UTF8.self)
        #expect(output.contains("trapped: no_trap SIGILL after 3 actions, 2 of them incrementA"), "\(output)")
    }

    @Test func depthFirstSearchReportsAPathToTheTrap() async throws {
        let result = try await #require(processExitsWith: .exitCode(1), observing: [\.standardOutputContent]) {
            TrapCatcher.install()
            var model = Counters()
            model.trapsAt = Counters.State(a: 1, b: 3)
            let search = DepthFirstSearch(model: model, options: SearchOptions())
            search.onTrap = { counterexample, _ in
                let b = counterexample.actions.count { $0 == .incrementB }
                print("trapped: \(counterexample.actions.count) actions, \(b) of them incrementB")
            }
            _ = search.run()
            print("not trapped")
        }
        let output = String(decoding: result.standardOutputContent, as: UTF8.self)
        #expect(output.contains("trapped: 4 actions, 3 of them incrementB"), "\(output)")
    }

    /// A path replayed in a child process: the actions executed up to the one that trapped
    /// (one not enabled is skipped), or nil when it runs clean, while this process goes on.
    @Test func isolatedReplayFindsTheTrapInAChild() {
        var model = Counters()
        model.trapsAt = Counters.State(a: 2, b: 1)
        let path: [Counters.Action] = [.incrementA, .incrementB, .incrementB, .incrementB, .incrementB, .incrementA, .incrementA]
        // b stops at its limit (3): the fourth incrementB is not enabled; (2, 1) is never reached.
        #expect(IsolatedReplay.untilTrap(path, on: model) == nil)
        let trapping: [Counters.Action] = [.incrementA, .incrementB, .incrementA, .incrementB]
        #expect(IsolatedReplay.untilTrap(trapping, on: model) == [.incrementA, .incrementB, .incrementA])
    }

    /// Without a witness (no search running, or none asked to catch), a trap is the crash it was.
    @Test func aTrapOutsideASearchStaysACrash() async {
        await #expect(processExitsWith: .signal(SIGILL)) {
            TrapCatcher.install()
            var model = Counters()
            model.trapsAt = Counters.State(a: 1, b: 0)
            _ = model.nextState(after: Counters.State(a: 0, b: 0), action: .incrementA)
        }
    }
}
