import Dispatch

/// Budgets and switches for a search.
public struct SearchOptions: Sendable {
    /// Stop (incomplete) once this many distinct states are known.
    public var maxStates: Int?
    /// Do not expand states at this depth (the initial states are depth 1, as in TLC).
    public var maxDepth: Int?
    /// Threads expanding states; 1 or more. The result does not depend on it.
    public var workers = 1
    public var hashWidth = HashWidth.bits64
    /// BFS: bytes of queued state images held in memory; the rest are spilled to disk.
    public var queueMemory = 256 << 20
    /// BFS: where spilled images go (an unlinked file, gone when the search ends).
    public var spillDirectory = "/tmp"
    /// BFS: where checkpoints are written (nil: none), and what must match to resume from one
    /// (the caller's statement of the spec and bounds).
    public var checkpointDirectory: String?
    public var checkpointKey = ""

    public init() {}
}

/// Counters of a search, as reported in progress lines and summaries.
public struct SearchStats: Sendable, Equatable {
    /// Successor states computed (including duplicates and those outside the boundary).
    public var generated = 0
    /// Distinct states inside the boundary.
    public var distinct = 0
    /// The depth reached, counting the initial states as depth 1 (TLC's convention).
    public var maxDepth = 0
    /// States waiting to be expanded.
    public var queued = 0
    /// Bytes held by the fingerprint set.
    public var fingerprintBytes = 0
    /// BFS: bytes of queued state images in memory, and on disk.
    public var queueBytes = 0
    public var spilledBytes = 0
    /// BFS: the most bytes spilled at once (by this process).
    public var spilledBytesPeak = 0
}

/// Why a search ended (the raw values are the stats' `end`).
public enum SearchEnd: String, Sendable {
    /// Every reachable state within the bounds was explored.
    case complete
    /// A property was violated.
    case violation
    /// `maxStates` was reached.
    case stateLimit = "state_limit"
    /// The caller asked to stop (time or memory budget, interrupt).
    case stopped
    /// Depth-first search pruned states at `maxDepth` and may have missed some within it.
    case depthLimit = "depth_limit"
}

/// A property violation and the path that reaches it from an initial state.
public struct Counterexample<Action: Sendable>: Sendable {
    public var property: String
    /// Which initial state the path starts from.
    public var initialIndex: Int
    public var actions: [Action]
}

public struct SearchReport<Action: Sendable>: Sendable {
    public var end: SearchEnd
    public var stats: SearchStats
    public var counterexample: Counterexample<Action>?
    /// `sometimes` properties never satisfied by any state reached.
    public var unsatisfiedSometimes: [String]
    /// By action kind; BFS resumed from a checkpoint: the work of this process only.
    public var coverage: EventCoverage
    public var complete: Bool { end == .complete }
}

/// Per-state bookkeeping shared by the searches: each distinct state gets a sequential ID, and
/// its parent's ID and the index of the action that led to it, so paths are rebuilt by replay
/// (6 bytes per state beside the fingerprint set).
struct ParentTable {
    static let root = UInt32.max
    var parents: [UInt32] = []
    var actionIndexes: [UInt16] = []

    mutating func add(parent: UInt32, actionIndex: Int) -> UInt32 {
        precondition(parents.count < Int(UInt32.max), "more than 4 billion states")
        precondition(actionIndex <= Int(UInt16.max), "more than 65535 actions in one state")
        parents.append(parent)
        actionIndexes.append(UInt16(actionIndex))
        return UInt32(parents.count - 1)
    }

    /// The path to `id`: the initial state's index and the action indexes from it.
    func path(to id: UInt32) -> (initial: Int, actionIndexes: [Int]) {
        var steps: [Int] = []
        var id = id
        while parents[Int(id)] != Self.root {
            steps.append(Int(actionIndexes[Int(id)]))
            id = parents[Int(id)]
        }
        return (Int(actionIndexes[Int(id)]), steps.reversed())
    }
}

extension Model {
    /// Replays action indexes from an initial state into the actions themselves.
    func actions(initial: Int, indexes: [Int]) -> [Action] {
        replay(indexes, from: initialStates[initial]).actions
    }

    /// Replays action indexes (each into the actions `actions(of:into:)` lists for its step)
    /// from `state`: the actions, and the state they reach. The indexes are a path a search
    /// took, so every action has a successor; each step changes the state in place.
    func replay<Indexes: Sequence>(_ indexes: Indexes, from state: State) -> (actions: [Action], state: State)
    where Indexes.Element: BinaryInteger {
        var state = state
        var result: [Action] = []
        var enabled: [Action] = []
        for index in indexes {
            enabled.removeAll(keepingCapacity: true)
            actions(of: state, into: &enabled)
            let action = enabled[Int(index)]
            result.append(action)
            guard let next = nextState(replacing: consume state, action: action) else {
                preconditionFailure("a path's action \(result.count) has no successor on replay")
            }
            state = next
        }
        return (result, state)
    }

    /// A witness for a search thread, if `onTrap` is set: a trap's counterexample is the path
    /// to the state the witness names in the parent table (read when the trap comes) and the
    /// action it names there, under `noTrapProperty`.
    func trapWitness(_ onTrap: ((Counterexample<Action>, Int32) -> Void)?, parents: @escaping () -> ParentTable) -> TrapCatcher.Witness? {
        guard let onTrap else { return nil }
        return TrapCatcher.Witness { witness, signal in
            let (initial, indexes) = parents().path(to: witness.state)
            var (path, state) = replay(indexes, from: initialStates[initial])
            var enabled: [Action] = []
            actions(of: state, into: &enabled)
            path.append(enabled[witness.action])
            onTrap(Counterexample(property: noTrapProperty, initialIndex: initial, actions: path), signal)
        }
    }

    /// A search's report: the counterexample rebuilt from the parent table, and (for a complete
    /// search) the `sometimes` properties never satisfied.
    func report(_ end: SearchEnd, _ stats: SearchStats, _ violation: (String, UInt32)?, _ parents: ParentTable,
                _ sometimes: [Property<State>], _ satisfied: [Bool], _ coverage: EventCoverage) -> SearchReport<Action> {
        var counterexample: Counterexample<Action>?
        if let (property, id) = violation {
            let path = parents.path(to: id)
            counterexample = Counterexample(property: property, initialIndex: path.initial,
                                            actions: actions(initial: path.initial, indexes: path.actionIndexes))
        }
        let unsatisfied = end == .complete ? zip(sometimes, satisfied).filter { !$0.1 }.map(\.0.name) : []
        return SearchReport(end: end, stats: stats, counterexample: counterexample, unsatisfiedSometimes: unsatisfied, coverage: coverage)
    }
}

/// Breadth-first search: finds a shortest counterexample. Level-synchronous: each level is cut
/// into batches; in a batch the workers expand disjoint chunks against the fingerprint set
/// (read-only meanwhile), then one thread merges their candidates in chunk order. The states
/// found, their IDs and the counterexample are therefore the same for any number of workers.
///
/// States waiting to be expanded are held as images (`Model.encode`) in an `ImageQueue` per
/// level, in memory up to `SearchOptions.queueMemory` and on disk beyond it; so memory is
/// the fingerprint set, the parent table (6 bytes a state) and that window. Between batches
/// the search can write a checkpoint, from which a new process resumes it to the same result.
public final class BreadthFirstSearch<M: Model>: @unchecked Sendable {
    public let model: M
    public let options: SearchOptions
    public internal(set) var seen: FingerprintSet
    var parents = ParentTable()
    private let always: [Property<M.State>]
    private let sometimes: [Property<M.State>]
    var satisfied: [Bool]
    /// Called from the trap handler (`TrapCatcher`) with the counterexample of a step that
    /// trapped and the signal; the process then exits. Nil: traps are not caught.
    public var onTrap: ((Counterexample<M.Action>, Int32) -> Void)?
    /// States expanded per batch (one queue block), split evenly across the workers. Fixed, so
    /// that a search stopped mid-level (violation, budget) has done the same work with any
    /// number of workers.
    static var batchSize: Int { 8192 }
    let budget: MemoryBudget
    public internal(set) var stats = SearchStats()
    /// By action kind, over this process's batches.
    public private(set) var coverage: EventCoverage
    /// The level of the states in `current` (the initial states are level 1); 0 before them.
    var depth = 0
    /// The level being expanded, and the one it fills.
    var current: ImageQueue
    var next: ImageQueue
    /// Whether the initial states are in (at the first `run`, or from a checkpoint).
    var started = false

    public init(model: M, options: SearchOptions) {
        self.model = model
        self.options = options
        seen = FingerprintSet(width: options.hashWidth)
        always = model.properties.filter { $0.expectation == .always }
        sometimes = model.properties.filter { $0.expectation == .sometimes }
        coverage = EventCoverage(kinds: model.actionKinds)
        precondition(sometimes.count <= 64, "at most 64 sometimes-properties")
        satisfied = Array(repeating: false, count: sometimes.count)
        budget = MemoryBudget(limit: options.queueMemory, spillDirectory: options.spillDirectory)
        current = ImageQueue(blockRecords: Self.batchSize, budget: budget)
        next = ImageQueue(blockRecords: Self.batchSize, budget: budget)
    }

    private struct Candidate {
        /// Where the state's image is in its chunk's `images`; nil on the last level a depth
        /// bound allows: those states are never expanded.
        var image: Range<Int>?
        var fingerprint: Fingerprint
        var parent: UInt32
        var actionIndex: Int
        var kind: Int
        var violated: String?
        /// Bit i: `sometimes` property i holds here.
        var satisfies: UInt64
    }

    private struct ChunkResult {
        var generated = 0
        var coverage: EventCoverage
        var candidates: [Candidate] = []
        var images: [UInt8] = []
    }

    /// Runs the search, or goes on with it (after a stop, or from a checkpoint). `shouldStop`,
    /// `progress` and `checkpointDue` are called between batches on the calling thread; the
    /// search itself reads no clock. With `options.checkpointDirectory` set, a checkpoint is
    /// written when `checkpointDue` says so and when the search stops early, and `checkpointed`
    /// is called once it is in place. Spilling or checkpointing that fails throws `FileFailure`.
    public func run(shouldStop: () -> Bool = { false }, progress: (SearchStats) -> Void = { _ in },
                    checkpointDue: () -> Bool = { false }, checkpointed: (SearchStats) -> Void = { _ in }) throws -> SearchReport<M.Action> {
        func report(_ end: SearchEnd, _ violation: (String, UInt32)? = nil) -> SearchReport<M.Action> {
            stats.fingerprintBytes = seen.bytes
            return model.report(end, stats, violation, parents, sometimes, satisfied, coverage)
        }

        if !started, let violation = try start() { return report(.violation, violation) }
        while true {
            if current.isEmpty {
                try next.close()
                guard !next.isEmpty else { break }
                (current, next) = (next, ImageQueue(blockRecords: Self.batchSize, budget: budget))
                depth += 1
            }
            if let maxDepth = options.maxDepth, depth >= maxDepth { break }
            guard let block = try current.next() else { continue }
            // The states of the last level are checked and counted but not kept.
            let keepsStates = options.maxDepth.map { depth + 1 < $0 } ?? true
            let results = expand(block, keepingStates: keepsStates)
            stats.generated += results.reduce(0) { $0 + $1.generated }
            for result in results {
                coverage.add(result.coverage)
                for candidate in result.candidates where seen.insert(candidate.fingerprint) {
                    coverage.new(candidate.kind)
                    let id = parents.add(parent: candidate.parent, actionIndex: candidate.actionIndex)
                    stats.distinct += 1
                    stats.maxDepth = depth + 1
                    if let property = candidate.violated { return report(.violation, (property, id)) }
                    for i in satisfied.indices where candidate.satisfies & (1 << i) != 0 { satisfied[i] = true }
                    if let image = candidate.image {
                        try result.images.withUnsafeBytes { (bytes) in
                            try next.append(id: id, image: UnsafeRawBufferPointer(rebasing: bytes[image]))
                        }
                    }
                }
            }
            updateQueueStats()
            progress(stats)
            if let maxStates = options.maxStates, stats.distinct >= maxStates { return report(.stateLimit) }
            if shouldStop() {
                if options.checkpointDirectory != nil {
                    try writeCheckpoint()
                    checkpointed(stats)
                }
                return report(.stopped)
            }
            if options.checkpointDirectory != nil && checkpointDue() {
                try writeCheckpoint()
                checkpointed(stats)
            }
        }
        // A depth bound is part of the boundary: every state within it was explored.
        stats.queued = 0
        return report(.complete)
    }

    /// Checks the initial states and queues them (as the level after level 0); returns a
    /// violation found.
    private func start() throws -> (String, UInt32)? {
        started = true
        var encoder = StateEncoder()
        var image: [UInt8] = []
        for (index, state) in model.initialStates.enumerated() {
            stats.generated += 1
            guard model.withinBoundary(state) else { continue }
            let fp = model.fingerprint(of: state, width: options.hashWidth, encoder: &encoder)
            guard seen.insert(fp) else { continue }
            let id = parents.add(parent: ParentTable.root, actionIndex: index)
            stats.distinct += 1
            stats.maxDepth = 1
            if let property = always.firstFailing(in: state) { return (property, id) }
            for (i, property) in sometimes.enumerated() where !satisfied[i] && property.holds(state) { satisfied[i] = true }
            image.removeAll(keepingCapacity: true)
            model.encode(state, into: &image)
            try image.withUnsafeBytes { bytes in try next.append(id: id, image: bytes) }
        }
        return nil
    }

    func updateQueueStats() {
        stats.queued = current.count + next.count
        stats.fingerprintBytes = seen.bytes
        stats.queueBytes = budget.held
        stats.spilledBytes = current.spilledBytes + next.spilledBytes
        stats.spilledBytesPeak = max(stats.spilledBytesPeak, stats.spilledBytes)
    }

    /// Expands the states of `block`: split evenly into one chunk per worker, results in chunk
    /// order.
    private func expand(_ block: ImageQueue.Block, keepingStates: Bool) -> [ChunkResult] {
        let records = block.records()
        let size = (records.count + options.workers - 1) / options.workers
        let chunks = stride(from: 0, to: records.count, by: max(size, 1)).map { $0..<min($0 + size, records.count) }
        if chunks.count == 1 { return [expand(block, records, chunk: chunks[0], keepingStates: keepingStates)] }
        return [ChunkResult](unsafeUninitializedCapacity: chunks.count) { buffer, initialized in
            buffer.initialize(repeating: ChunkResult(coverage: coverage.zeroed))
            initialized = chunks.count
            let results = SharedBuffer(buffer)
            DispatchQueue.concurrentPerform(iterations: chunks.count) { i in
                results.buffer[i] = self.expand(block, records, chunk: chunks[i], keepingStates: keepingStates)
            }
        }
    }

    /// Expands the states of `records` in `chunk`, each decoded from `block`.
    private func expand(_ block: ImageQueue.Block, _ records: [(id: UInt32, image: Range<Int>)], chunk: Range<Int>,
                        keepingStates: Bool) -> ChunkResult {
        let witness = model.trapWitness(onTrap) { [self] in parents }
        return TrapCatcher.watching(witness) { expand(block, records, chunk: chunk, keepingStates: keepingStates, witness: witness) }
    }

    private func expand(_ block: ImageQueue.Block, _ records: [(id: UInt32, image: Range<Int>)], chunk: Range<Int>,
                        keepingStates: Bool, witness: TrapCatcher.Witness?) -> ChunkResult {
        var result = ChunkResult(coverage: coverage.zeroed)
        var encoder = StateEncoder()
        var enabled: [M.Action] = []
        // New states this chunk already holds: a second path to one adds nothing (the merge
        // keeps the first), so it is neither checked nor encoded again.
        var found = Set<Fingerprint>()
        let scratch = ImageScratch()
        for slot in chunk {
            let (id, range) = records[slot]
            witness?.action = -1
            witness?.state = id
            let state: M.State
            do {
                state = try block.bytes.withUnsafeBytes { try model.decode(UnsafeRawBufferPointer(rebasing: $0[range]), scratch: scratch) }
            } catch {
                preconditionFailure("a queued state's image does not read back: \(error)")
            }
            enabled.removeAll(keepingCapacity: true)
            model.actions(of: state, into: &enabled)
            for (index, action) in enabled.enumerated() {
                let kind = model.kind(of: action)
                result.coverage.enabled(kind)
                witness?.action = index
                guard let next = model.nextState(after: state, action: action) else { continue }
                result.generated += 1
                guard model.withinBoundary(next) else { continue }
                result.coverage.taken(kind)
                let fp = model.fingerprint(of: next, width: options.hashWidth, encoder: &encoder)
                guard !seen.contains(fp), found.insert(fp).inserted else { continue }
                var image: Range<Int>?
                if keepingStates {
                    let start = result.images.count
                    model.encode(next, into: &result.images, scratch: scratch)
                    image = start..<result.images.count
                }
                result.candidates.append(Candidate(image: image, fingerprint: fp, parent: id, actionIndex: index, kind: kind,
                                                   violated: always.firstFailing(in: next), satisfies: sometimes.holdingMask(in: next)))
            }
        }
        return result
    }
}

/// Lets concurrent workers read and write disjoint slots of one buffer.
private struct SharedBuffer<T>: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<T>
    init(_ buffer: UnsafeMutableBufferPointer<T>) { self.buffer = buffer }
}

/// Depth-first search with a depth bound, over the same fingerprint set: cheap in memory (a
/// stack instead of a frontier), finds some counterexample, not a shortest one. A state first
/// reached deep and later reachable more shallowly is not revisited, so with `maxDepth` set
/// the search may miss states BFS would reach within the same bound.
public final class DepthFirstSearch<M: Model> {
    public let model: M
    public let options: SearchOptions
    public let seen: FingerprintSet
    private var parents = ParentTable()
    /// As `BreadthFirstSearch.onTrap`.
    public var onTrap: ((Counterexample<M.Action>, Int32) -> Void)?

    public init(model: M, options: SearchOptions) {
        self.model = model
        self.options = options
        seen = FingerprintSet(width: options.hashWidth)
    }

    private struct Frame {
        var state: M.State
        var id: UInt32
        var depth: Int
        var enabled: [M.Action]
        var nextAction = 0
    }

    public func run(shouldStop: () -> Bool = { false }, progress: (SearchStats) -> Void = { _ in }) -> SearchReport<M.Action> {
        let always = model.properties.filter { $0.expectation == .always }
        let sometimes = model.properties.filter { $0.expectation == .sometimes }
        var satisfied = Array(repeating: false, count: sometimes.count)
        var stats = SearchStats()
        var encoder = StateEncoder()
        var stack: [Frame] = []
        var truncated = false
        var coverage = EventCoverage(kinds: model.actionKinds)

        func report(_ end: SearchEnd, _ violation: (String, UInt32)? = nil) -> SearchReport<M.Action> {
            stats.fingerprintBytes = seen.bytes
            stats.queued = stack.count
            return model.report(end, stats, violation, parents, sometimes, satisfied, coverage)
        }

        /// Records a newly reached state; returns a violation to report, if any.
        func visit(_ state: M.State, parent: UInt32, actionIndex: Int, depth: Int, kind: Int?) -> (String, UInt32)? {
            guard model.withinBoundary(state) else { return nil }
            if let kind { coverage.taken(kind) }
            let fp = model.fingerprint(of: state, width: options.hashWidth, encoder: &encoder)
            guard seen.insert(fp) else { return nil }
            if let kind { coverage.new(kind) }
            let id = parents.add(parent: parent, actionIndex: actionIndex)
            stats.distinct += 1
            stats.maxDepth = max(stats.maxDepth, depth)
            if let property = always.firstFailing(in: state) { return (property, id) }
            for (i, p) in sometimes.enumerated() where !satisfied[i] && p.holds(state) { satisfied[i] = true }
            var enabled: [M.Action] = []
            if options.maxDepth.map({ depth < $0 }) ?? true {
                model.actions(of: state, into: &enabled)
                for i in enabled.indices { coverage.enabled(model.kind(of: enabled[i])) }
            } else {
                truncated = true
            }
            stack.append(Frame(state: state, id: id, depth: depth, enabled: enabled))
            return nil
        }

        let witness = model.trapWitness(onTrap) { [self] in parents }
        return TrapCatcher.watching(witness) { () -> SearchReport<M.Action> in
            for (index, state) in model.initialStates.enumerated() {
                stats.generated += 1
                if let violation = visit(state, parent: ParentTable.root, actionIndex: index, depth: 1, kind: nil) {
                    return report(.violation, violation)
                }
                while let top = stack.last {
                    guard top.nextAction < top.enabled.count else {
                        stack.removeLast()
                        continue
                    }
                    let action = top.enabled[top.nextAction]
                    let actionIndex = top.nextAction
                    stack[stack.count - 1].nextAction += 1
                    witness?.state = top.id
                    witness?.action = actionIndex
                    guard let next = model.nextState(after: top.state, action: action) else { continue }
                    stats.generated += 1
                    if let violation = visit(next, parent: top.id, actionIndex: actionIndex, depth: top.depth + 1, kind: model.kind(of: action)) {
                        return report(.violation, violation)
                    }
                    if stats.generated & 0x3FFF == 0 {
                        stats.queued = stack.count
                        stats.fingerprintBytes = seen.bytes
                        progress(stats)
                        if let maxStates = options.maxStates, stats.distinct >= maxStates { return report(.stateLimit) }
                        if shouldStop() { return report(.stopped) }
                    }
                }
            }
            return report(truncated ? .depthLimit : .complete)
        }
    }
}
