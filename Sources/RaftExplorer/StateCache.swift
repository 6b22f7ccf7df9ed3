import CXXHash

/// The states random walks reached and checked, with what walks learned of each, so a walk that
/// reaches one again takes it from here: not computed, not checked, its actions not listed, and
/// what walks learned of its transitions at hand (no key hashed, no `TransitionCache` lookup).
///
/// Keyed by what a walk knows of a successor before computing it, through `TransitionCache`:
/// its canonical fingerprint F and the relabeling r that wrote it canonically. Together they
/// tell the state itself apart, not only its orbit: the state is the canonical one with r
/// undone (to within the fingerprint's collision odds, as everywhere). A state whose orbit
/// maps onto itself has several such keys; it is then kept once per key it was reached with.
///
/// Only states that break no `always` property go in, so a state taken from here needs no
/// check. Direct-mapped, a newer state replacing an older; one per worker, touched by one
/// thread. A state shares its buffers with the walk that put it in (copy-on-write): what one
/// holds beyond the others is mostly the node its last event changed.
///
/// Each kept state is one block of memory: its key, then its listing (`Listing`), then the
/// state. A walk's step from a kept state reads the block's first cache line (the key and,
/// for up to 32 actions, their kinds) and the records of the actions it draws; the state
/// itself only to compute from it.
final class StateCache<State> {
    /// A block's first bytes.
    private struct Key {
        var fingerprint: Fingerprint
        /// `Relabeling.packed` (3 bits a node, at most 8 nodes).
        var relabeling: UInt32
        /// The model's index among the search's variants.
        var variant: UInt16
        /// Whether a walk took the state since it came or since a newer state was turned away.
        var used = false
    }

    /// Each slot's block, or nil.
    private let blocks: UnsafeMutablePointer<UnsafeMutableRawPointer?>
    private let table: HugePages
    /// Where blocks are.
    private let arena = BlockArena()
    private let mask: Int
    /// How many lookups found their state.
    private(set) var hits = 0

    private static var listingOffset: Int { align(MemoryLayout<Key>.size, to: 8) }

    /// Where the state is in a block whose listing has room for `capacity` actions.
    private static func stateOffset(capacity: Int) -> Int {
        align(listingOffset + Listing.byteCount(capacity: capacity), to: MemoryLayout<State>.alignment)
    }

    /// The cache lines of a block whose listing has room for `capacity` actions.
    private static func lines(capacity: Int) -> Int { (stateOffset(capacity: capacity) + MemoryLayout<State>.size + 63) / 64 }

    private static func align(_ offset: Int, to alignment: Int) -> Int {
        (offset + alignment - 1) / alignment * alignment
    }

    /// Room for 2^`log2Entries` states.
    init(log2Entries: Int) {
        precondition(MemoryLayout<State>.alignment <= 64, "a state aligned within a cache line")
        // Zeroed: all nil.
        table = HugePages(bytes: MemoryLayout<UnsafeMutableRawPointer?>.stride << log2Entries)
        blocks = table.start.bindMemory(to: UnsafeMutableRawPointer?.self, capacity: 1 << log2Entries)
        mask = (1 << log2Entries) - 1
    }

    deinit {
        for i in 0...mask { free(i) }
    }

    private func free(_ place: Int) {
        guard let block = blocks[place] else { return }
        let capacity = Listing(at: block + Self.listingOffset).capacity
        (block + Self.stateOffset(capacity: capacity)).assumingMemoryBound(to: State.self).deinitialize(count: 1)
        arena.deallocate(block, lines: Self.lines(capacity: capacity))
        blocks[place] = nil
    }

    private func index(_ fingerprint: Fingerprint, _ relabeling: UInt32, _ variant: UInt16) -> Int {
        // The relabeling's bits spread over the index (multiplied by an odd constant), so a
        // state's orbit-mates fall in different slots.
        let mixed = fingerprint.low ^ (UInt64(relabeling) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(variant)
        return Int(truncatingIfNeeded: mixed) & mask
    }

    /// A state's key as a block holds it.
    private static func key(_ fingerprint: Fingerprint, _ relabeling: Relabeling, _ variant: Int) -> Key {
        precondition(variant <= Int(UInt16.max), "at most 65,536 models")
        return Key(fingerprint: fingerprint, relabeling: UInt32(truncatingIfNeeded: relabeling.packed), variant: UInt16(variant))
    }

    /// Where the state of the model `variant` (of the search's models) with canonical
    /// fingerprint `fingerprint`, written canonically by `relabeling`, is kept, if it is.
    /// The place holds it until the next `keep`.
    func find(_ fingerprint: Fingerprint, _ relabeling: Relabeling, variant: Int) -> Int? {
        let wanted = Self.key(fingerprint, relabeling, variant)
        let i = index(fingerprint, wanted.relabeling, wanted.variant)
        guard let block = blocks[i] else { return nil }
        let key = block.assumingMemoryBound(to: Key.self)
        guard key.pointee.fingerprint == fingerprint && key.pointee.relabeling == wanted.relabeling
                && key.pointee.variant == wanted.variant
        else { return nil }
        hits += 1
        key.pointee.used = true
        return i
    }

    /// Where the state kept at `place` is in memory (for `Listing.Learned.hint`).
    func hint(at place: Int) -> KeptHint {
        let block = blocks[place].unsafelyUnwrapped
        return KeptHint(block, lines: Self.lines(capacity: listing(at: place).capacity))
    }

    /// Brings in what `find` reads first for that key, and the first cache line of the block at
    /// `hint` (where the state was kept last: `find` reads it next if it still is), while the
    /// walk does something else.
    func prefetch(_ fingerprint: Fingerprint, _ relabeling: Relabeling, variant: Int, hint: KeptHint) {
        let key = Self.key(fingerprint, relabeling, variant)
        raftcheck_prefetch(blocks + index(fingerprint, key.relabeling, key.variant))
        raftcheck_prefetch(hint.address)
    }

    /// Brings in the rest of the block at `hint` (as `prefetch`): the walk draws its actions next.
    func prefetchListing(_ hint: KeptHint) {
        for line in 1..<hint.lines { raftcheck_prefetch(hint.address + 64 * line) }
    }

    /// The state kept at `place` (a copy).
    func state(at place: Int) -> State {
        let block = blocks[place].unsafelyUnwrapped
        return (block + Self.stateOffset(capacity: listing(at: place).capacity)).assumingMemoryBound(to: State.self).pointee
    }

    /// The listing of the state kept at `place`. Valid until the next `keep`.
    func listing(at place: Int) -> Listing { Listing(at: blocks[place].unsafelyUnwrapped + Self.listingOffset) }

    /// Keeps `state` (checked: it breaks no property), whose actions are of kinds `kinds`, and
    /// returns its place, unless the state in that place was taken since it came or since the
    /// last state turned away from there (a second chance, as in CLOCK): then the newcomer is
    /// turned away (nil). So states walks come back to stay, rather than being pushed out by
    /// states reached once.
    func keep(_ state: State, kinds: [UInt8], _ fingerprint: Fingerprint, _ relabeling: Relabeling, variant: Int) -> Int? {
        let key = Self.key(fingerprint, relabeling, variant)
        let i = index(fingerprint, key.relabeling, key.variant)
        if let old = blocks[i], old.load(as: Key.self).used {
            old.assumingMemoryBound(to: Key.self).pointee.used = false
            return nil
        }
        free(i)
        let stateOffset = Self.stateOffset(capacity: kinds.count)
        // On a cache line of its own, so the key and the first kinds are read at once.
        let block = arena.allocate(lines: Self.lines(capacity: kinds.count))
        block.initializeMemory(as: Key.self, to: key)
        let listing = Listing.initialize(at: block + Self.listingOffset, capacity: kinds.count)
        listing.fill(kinds: kinds)
        (block + stateOffset).initializeMemory(as: State.self, to: state)
        blocks[i] = block
        return i
    }
}

/// Where a state was kept, to prefetch it (it may have gone since: only ever prefetched): its
/// block's address and length in cache lines (at most 63), in one word, blocks being 64-byte
/// aligned. All zero: nowhere.
struct KeptHint {
    private let bits: UInt

    static let none = KeptHint(bits: 0)

    private init(bits: UInt) { self.bits = bits }

    init(_ block: UnsafeMutableRawPointer, lines: Int) {
        bits = UInt(bitPattern: block) | UInt(min(lines, 63))
    }

    var isNone: Bool { bits == 0 }
    var address: UnsafeRawPointer { UnsafeRawPointer(bitPattern: bits & ~63).unsafelyUnwrapped }
    var lines: Int { Int(bits & 63) }
}
