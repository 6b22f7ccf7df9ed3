import Testing
import CXXHash
@testable import RaftExplorer

/// A toy model with a state space known in closed form: two counters, each may be incremented
/// up to `limit`; "both reach `bad`" violates a property when `bad` is set.
struct ImageTooShort: Error {}

struct Counters: Model {
    struct State: Sendable, Equatable { var a: Int; var b: Int }
    enum Action: Hashable, Sendable { case incrementA, incrementB }

    var limit = 3
    var bad: Int?
    /// A state whose computation traps (a failed precondition), as a bug in a core would.
    var trapsAt: State?

    var initialStates: [State] { [State(a: 0, b: 0)] }

    func actions(of state: State, into actions: inout [Action]) {
        if state.a < limit { actions.append(.incrementA) }
        if state.b < limit { actions.append(.incrementB) }
    }

    func nextState(after state: State, action: Action) -> State? {
        var next = state
        switch action {
        case .incrementA: next.a += 1
        case .incrementB: next.b += 1
        }
        precondition(next != trapsAt, "a computation that traps")
        return next
    }

    var properties: [Property<State>] {
        let bad = self.bad
        return [
            .always("not_both_bad") { state in bad.map { !(state.a == $0 && state.b == $0) } ?? true },
            .sometimes("a_at_limit") { [limit] in $0.a == limit },
            .sometimes("never") { _ in false },
        ]
    }

    func encode(_ state: State, into bytes: inout [UInt8], scratch _: ImageScratch) {
        bytes += [UInt8(state.a), UInt8(state.b)]
    }

    func decode(_ bytes: UnsafeRawBufferPointer, scratch _: ImageScratch) throws -> State {
        guard bytes.count == 2 else { throw ImageTooShort() }
        return State(a: Int(bytes[0]), b: Int(bytes[1]))
    }

    func fingerprint(of state: State, width: HashWidth, encoder: inout StateEncoder) -> Fingerprint {
        encoder.reset()
        encoder.write(state.a)
        encoder.write(state.b)
        return encoder.hash(width)
    }
}

@Suite struct ExplorerTests {
    @Test(arguments: [1, 2, 3])
    func bfsCountsTheWholeGrid(workers: Int) throws {
        var options = SearchOptions()
        options.workers = workers
        let report = try BreadthFirstSearch(model: Counters(limit: 40), options: options).run()
        #expect(report.complete)
        #expect(report.stats.distinct == 41 * 41)
        // Every state but the initial one is generated once per predecessor: 2·40·41 edges + 1.
        #expect(report.stats.generated == 2 * 40 * 41 + 1)
        // Depth counts the initial state as 1: (40, 40) is 80 steps away.
        #expect(report.stats.maxDepth == 81)
        #expect(report.unsatisfiedSometimes == ["never"])
    }

    @Test func bfsFindsAShortestCounterexample() throws {
        let report = try BreadthFirstSearch(model: Counters(limit: 5, bad: 2), options: SearchOptions()).run()
        #expect(report.end == .violation)
        let path = report.counterexample!
        #expect(path.property == "not_both_bad")
        #expect(path.actions.count == 4)
        #expect(path.actions.filter { $0 == .incrementA }.count == 2)
    }

    @Test func parallelSearchGivesTheSameCounterexample() throws {
        var two = SearchOptions()
        two.workers = 2
        let one = try BreadthFirstSearch(model: Counters(limit: 200, bad: 150), options: SearchOptions()).run()
        let parallel = try BreadthFirstSearch(model: Counters(limit: 200, bad: 150), options: two).run()
        #expect(one.counterexample?.actions == parallel.counterexample?.actions)
        #expect(one.stats == parallel.stats)
    }

    @Test func dfsFindsSomeCounterexampleAndHonoursTheDepthBound() {
        let found = DepthFirstSearch(model: Counters(limit: 5, bad: 2), options: SearchOptions()).run()
        #expect(found.end == .violation)
        var state = Counters.State(a: 0, b: 0)
        for action in found.counterexample!.actions { state = Counters().nextState(after: state, action: action)! }
        #expect(state == Counters.State(a: 2, b: 2))

        var bounded = SearchOptions()
        bounded.maxDepth = 3
        let report = DepthFirstSearch(model: Counters(limit: 5), options: bounded).run()
        #expect(report.end == .depthLimit)
        #expect(report.stats.maxDepth == 3)
    }

    @Test func budgetsEndTheRunIncomplete() throws {
        var options = SearchOptions()
        options.maxStates = 100
        let limited = try BreadthFirstSearch(model: Counters(limit: 1000), options: options).run()
        #expect(limited.end == .stateLimit && !limited.complete)
        #expect(limited.stats.distinct >= 100)
        var calls = 0
        let stopped = try BreadthFirstSearch(model: Counters(limit: 1000), options: SearchOptions()).run(shouldStop: {
            calls += 1
            return calls > 2
        })
        #expect(stopped.end == .stopped)
    }

    @Test(arguments: [HashWidth.bits64, .bits128])
    func fingerprintSetGrowsAndKeepsEverything(width: HashWidth) {
        let set = FingerprintSet(width: width, initialCapacity: 16)
        var rng: UInt64 = 1
        var inserted: [Fingerprint] = []
        for _ in 0..<10_000 {
            rng = rng &* 6364136223846793005 &+ 1442695040888963407
            let fp = Fingerprint(low: rng, high: width == .bits128 ? rng.byteSwapped : 0)
            #expect(set.insert(fp))
            inserted.append(fp)
        }
        #expect(set.count == 10_000)
        #expect(inserted.allSatisfy { set.contains($0) && !set.insert($0) })
        #expect(!set.contains(Fingerprint(low: 12345)))
        #expect(set.bytes == set.capacity * (width == .bits64 ? 8 : 16))
    }

    @Test func encoderIsLittleEndianAndHashIsStable() {
        var e = StateEncoder()
        e.write(UInt64(0x0102_0304_0506_0708))
        #expect(e.bytes == [8, 7, 6, 5, 4, 3, 2, 1])
        e.write([1, 2, 3] as [UInt8])
        #expect(e.bytes == [8, 7, 6, 5, 4, 3, 2, 1, 3, 0, 0, 0, 0, 0, 0, 0, 1, 2, 3, 0, 0, 0, 0, 0])
        let before = e.hash(.bits64)
        e.reset()
        e.write(UInt64(0x0102_0304_0506_0708))
        e.write([1, 2, 3] as [UInt8])
        #expect(e.hash(.bits64) == before)
        #expect(e.hash(.bits64) != StateEncoder().hash(.bits64))
    }

    /// A part is written as the hash of its encoding; a remembered part is never encoded
    /// again; another key or another part is encoded afresh.
    @Test func partsAreWrittenAsHashesAndEncodedOnce() {
        final class Part: Sendable { let value: UInt64; init(_ value: UInt64) { self.value = value } }
        let parts = (0..<20).map { Part(UInt64($0) * 7) }
        var encodings = 0
        func encode(_ part: Part, key: UInt64, into e: inout StateEncoder) {
            e.write(part, key: key) { e in
                encodings += 1
                e.write(part.value)
                e.write(key)
            }
        }
        var e = StateEncoder()
        for round in 0..<2 {
            e.reset()
            for part in parts.prefix(3) { encode(part, key: 1, into: &e) }
            #expect(e.bytes == StateEncoder.words(parts.prefix(3).flatMap { StateEncoder.partHash([$0.value, 1]) }))
            #expect(encodings == 3, "round \(round)")
        }
        encode(parts[0], key: 2, into: &e)
        #expect(encodings == 4)
        // Twenty more parts push the first ones out: they are encoded again, the same way.
        for part in parts { encode(part, key: 3, into: &e) }
        e.reset()
        encode(parts[0], key: 1, into: &e)
        #expect(encodings == 25)
        #expect(e.bytes == StateEncoder.words(StateEncoder.partHash([parts[0].value, 1])))
    }
}

extension StateEncoder {
    /// The bytes of `values` written one by one.
    static func words(_ values: [UInt64]) -> [UInt8] {
        var e = StateEncoder()
        for value in values { e.write(value) }
        return e.bytes
    }

    /// The two words a part encoded as `values` is written as: XXH3-128 of their bytes.
    static func partHash(_ values: [UInt64]) -> [UInt64] {
        let h = words(values).withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
        return [h.low64, h.high64]
    }
}
