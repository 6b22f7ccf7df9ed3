import Testing
@testable import RaftExplorer

/// A combination lock of `length` digits: the right digit moves to the next position, any other
/// sends the lock back to the start. A walk from the start opens it with chance about
/// 10^-length; a walk that starts where an earlier one first got needs the next digit only.
struct Lock: WeightedModel {
    typealias State = Int
    typealias Action = Int

    var length = 7

    var initialStates: [Int] { [0] }

    func actions(of position: Int, into actions: inout [Int]) {
        if position < length { actions.append(contentsOf: 0..<10) }
    }

    func nextState(after position: Int, action digit: Int) -> Int? {
        digit == (7 * position + 3) % 10 ? position + 1 : 0
    }

    var properties: [Property<Int>] {
        [.always("locked") { [length] in $0 < length }]
    }

    func encode(_ position: Int, into bytes: inout [UInt8], scratch _: ImageScratch) { bytes.append(UInt8(position)) }

    func decode(_ bytes: UnsafeRawBufferPointer, scratch _: ImageScratch) throws -> Int {
        guard bytes.count == 1 else { throw ImageTooShort() }
        return Int(bytes[0])
    }

    func fingerprint(of position: Int, width: HashWidth, encoder: inout StateEncoder) -> Fingerprint {
        encoder.reset()
        encoder.write(position)
        return encoder.hash(width)
    }

    var actionKinds: [String] { ["digit"] }
    func kind(of action: Int) -> Int { 0 }
    var defaultWeights: [UInt64] { [1] }
    func thread(of action: Int) -> Int? { nil }
}

@Suite struct FrontierTests {
    static func options(frontier: Bool, workers: Int = 1) -> FuzzOptions {
        var options = FuzzOptions()
        (options.seed, options.runs, options.depth, options.workers) = (5, 2_000, 30, workers)
        (options.novelty, options.frontier) = (false, frontier)
        return options
    }

    /// Walks from the start stay shut out; frontier walks open the lock, the trace of the run
    /// that does starts at the initial state, and the campaign is the same on any number of
    /// workers.
    @Test func frontierWalksReachWhatWalksFromTheStartDoNot() throws {
        let plain = RandomSearch(model: Lock(), options: Self.options(frontier: false)).run()
        #expect(plain.violation == nil)

        let report = RandomSearch(model: Lock(), options: Self.options(frontier: true)).run()
        let found = try #require(report.violation)
        #expect(found.property == "locked")
        // The whole walk, prefix included, replays from the initial state to the open lock.
        let end = found.actions.reduce(0) { Lock().nextState(after: $0, action: $1)! }
        #expect(end == Lock().length)

        let parallel = RandomSearch(model: Lock(), options: Self.options(frontier: true, workers: 2)).run()
        #expect(parallel.stats == report.stats)
        #expect(parallel.violation?.run == found.run && parallel.violation?.actions == found.actions)
    }

    /// A resumed campaign rebuilds the frontier from its corpus (the novel walks, in run order)
    /// and goes on exactly as the campaign it continues.
    @Test func rememberedWalksRebuildTheFrontier() {
        var first = Self.options(frontier: true)
        first.runs = 128
        var novel: [[Int]] = []
        _ = RandomSearch(model: Lock(), options: first).run(onRound: { novel += $0.novelRuns.map(\.actions) })

        var rest = Self.options(frontier: true)
        (rest.firstRun, rest.runs) = (128, 1_872)
        let resumed = RandomSearch(model: Lock(), options: rest)
        for walk in novel { resumed.remember(walk) }
        let whole = RandomSearch(model: Lock(), options: Self.options(frontier: true)).run()
        let continued = resumed.run()
        #expect(whole.violation != nil)
        #expect(continued.violation?.run == whole.violation?.run)
        #expect(continued.violation?.actions == whole.violation?.actions)
    }
}

@Suite struct RelabelingTests {
    /// `relative(to:)` undoes `after(_:)`, over random permutations of up to 8 nodes.
    @Test func relativeUndoesAfter() {
        var rng = Xoshiro256(seed: 9)
        for n in 1...8 {
            for _ in 0..<50 {
                let a = Self.random(n, &rng), b = Self.random(n, &rng)
                #expect(b.relative(to: a).after(a) == b)
                #expect(a.after(.identity(n)) == a && Relabeling.identity(n).after(a) == a)
                #expect((0..<n).map(b.after(a).position(of:)) == (0..<n).map { b.position(of: a.position(of: $0)) })
            }
        }
    }

    static func random(_ n: Int, _ rng: inout Xoshiro256) -> Relabeling {
        var positions = Array(0..<n)
        for i in stride(from: n - 1, to: 0, by: -1) { positions.swapAt(i, Int(rng.next(below: UInt64(i + 1)))) }
        var packed: UInt64 = 0
        for (slot, position) in positions.enumerated() { packed |= UInt64(position) << (3 * UInt64(slot)) }
        return Relabeling(packed: packed, count: n)
    }
}
