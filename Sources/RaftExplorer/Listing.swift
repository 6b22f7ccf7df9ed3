/// What a random walk needs of a state on a step it does not compute: the kinds of the state's
/// actions (to weigh them) and what walks learned of each transition. One block of memory,
/// the kinds first (read whole on every step), then a record per action (read only for the
/// actions drawn); never the actions themselves, which are far larger: a walk lists them again
/// only to compute from the state.
///
/// A view, not an owner: the owner (a kept state's block in `StateCache`, made in place with
/// `initialize(at:capacity:)`, or a walk's scratch listing for states not kept, from
/// `allocate(capacity:)`) makes sure no view outlives its memory.
struct Listing {
    /// What walks learned of one transition.
    struct Learned {
        enum Tag: UInt8 {
            case unknown
            /// No successor, or one outside the boundary.
            case dropped
            case successor
            /// A successor the walks' seen set held when a walk looked (it holds it since).
            case seenSuccessor
        }

        /// The successor's canonical fingerprint.
        var successor = Fingerprint(low: 0)
        /// Where the successor was kept when a walk last took it from the kept states: only a
        /// hint, to prefetch (it may have gone since).
        var hint = KeptHint.none
        /// The successor's canonicalizing relabeling relative to the state's (`Relabeling.packed`,
        /// 3 bits a node, at most 8 nodes).
        var relative: UInt32 = 0
        var tag = Tag.unknown
    }

    private let base: UnsafeMutableRawPointer

    /// A listing made in place (`initialize`) at `base`.
    init(at base: UnsafeMutableRawPointer) { self.base = base }

    /// The number of actions, then the most the listing has room for (32 bits each).
    private static let header = 8
    private static func recordsOffset(_ count: Int) -> Int {
        let alignment = MemoryLayout<Learned>.alignment
        return header + (count + alignment - 1) / alignment * alignment
    }

    /// The bytes a listing with room for `capacity` actions takes (aligned as a `UInt64`).
    static func byteCount(capacity: Int) -> Int { recordsOffset(capacity) + capacity * MemoryLayout<Learned>.stride }

    /// Makes a listing with room for `capacity` actions, listing none, at `base` (aligned as a
    /// `UInt64`, `byteCount(capacity:)` bytes).
    static func initialize(at base: UnsafeMutableRawPointer, capacity: Int) -> Listing {
        precondition(capacity <= Int(UInt32.max), "too many actions")
        base.storeBytes(of: 0, as: UInt32.self)
        base.storeBytes(of: UInt32(capacity), toByteOffset: 4, as: UInt32.self)
        return Listing(at: base)
    }

    /// A block of its own with room for `capacity` actions, listing none (freed by `deallocate`).
    static func allocate(capacity: Int) -> Listing {
        initialize(at: .allocate(byteCount: byteCount(capacity: capacity), alignment: MemoryLayout<Learned>.alignment), capacity: capacity)
    }

    /// Frees a block `allocate` made.
    func deallocate() { base.deallocate() }

    /// The most actions the listing has room for.
    var capacity: Int { Int(base.load(fromByteOffset: 4, as: UInt32.self)) }

    /// Lists actions of kinds `kinds` (at most `capacity`), nothing learned of them.
    func fill(kinds: [UInt8]) {
        let count = kinds.count
        precondition(count <= capacity, "a listing fills only its room")
        base.storeBytes(of: UInt32(count), as: UInt32.self)
        kinds.withUnsafeBytes { bytes in
            if let start = bytes.baseAddress { base.advanced(by: Self.header).copyMemory(from: start, byteCount: count) }
        }
        base.advanced(by: Self.recordsOffset(count)).bindMemory(to: Learned.self, capacity: count)
            .initialize(repeating: Learned(), count: count)
    }

    /// The number of actions.
    var count: Int { Int(base.load(as: UInt32.self)) }

    /// The actions' kinds (`WeightedModel.kind(of:)`), in the order the model lists the actions.
    var kinds: UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(start: base.advanced(by: Self.header).assumingMemoryBound(to: UInt8.self), count: count)
    }

    private var records: UnsafeMutablePointer<Learned> {
        base.advanced(by: Self.recordsOffset(count)).assumingMemoryBound(to: Learned.self)
    }

    /// What walks learned of the transition by action `action` (an index into the listed actions).
    @inline(__always) subscript(action: Int) -> Learned {
        get {
            precondition(action >= 0 && action < count, "no such action")
            return records[action]
        }
        nonmutating set {
            precondition(action >= 0 && action < count, "no such action")
            records[action] = newValue
        }
    }

    /// Records what a walk learned of the transition by action `action`.
    func learn(_ outcome: TransitionCache.Outcome, action: Int) {
        switch outcome {
        case .dropped:
            self[action] = Learned(tag: .dropped)
        case .successor(let fp, let relative):
            self[action] = Learned(successor: fp, relative: UInt32(truncatingIfNeeded: relative), tag: .successor)
        }
    }

    /// Records where the successor by action `action` is kept (`Learned.hint`).
    func hint(_ hint: KeptHint, action: Int) { records[action].hint = hint }

    /// Records that the seen set holds the successor by action `action`, if learned.
    func markSeen(_ action: Int) {
        if self[action].tag == .successor { self[action].tag = .seenSuccessor }
    }
}

/// A walk's listing for the states it does not keep: one block, refilled from step to step.
struct ScratchListing: ~Copyable {
    private var block: Listing?

    init() {}

    deinit { block?.deallocate() }

    /// The block, listing actions of kinds `kinds`, nothing learned of them (grown if need be).
    /// Valid until the next `fill`.
    mutating func fill(kinds: [UInt8]) -> Listing {
        if let block, block.capacity >= kinds.count {
            block.fill(kinds: kinds)
            return block
        }
        block?.deallocate()
        let grown = Listing.allocate(capacity: max(kinds.count, 2 * (block?.capacity ?? 32)))
        grown.fill(kinds: kinds)
        block = grown
        return grown
    }
}
