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
final class StateCache<State> {
    /// What a walk reads on every step it takes from here: 32 bytes, two to a cache line; the
    /// states themselves are apart (`states`), read only to compute from one.
    private struct Slot {
        var fingerprint = Fingerprint(low: 0)
        /// The state's listing, once a walk listed its actions (owned here).
        var listing: Listing?
        /// `Relabeling.packed` (3 bits a node, at most 8 nodes).
        var relabeling: UInt32 = 0
        /// The model's index among the search's variants; `UInt16.max` for an empty slot.
        var variant = UInt16.max
        /// Whether a walk took the state since it came or since a newer state was turned away.
        var used = false
    }

    private let slots: UnsafeMutablePointer<Slot>
    /// Each slot's state.
    private var states: [State?]
    private let mask: Int
    /// How many lookups found their state.
    private(set) var hits = 0

    /// Room for 2^`log2Entries` states.
    init(log2Entries: Int) {
        slots = .allocate(capacity: 1 << log2Entries)
        slots.initialize(repeating: Slot(), count: 1 << log2Entries)
        states = Array(repeating: nil, count: 1 << log2Entries)
        mask = (1 << log2Entries) - 1
    }

    deinit {
        for i in 0...mask { slots[i].listing?.deallocate() }
        slots.deallocate()
    }

    private func index(_ fingerprint: Fingerprint, _ relabeling: UInt32, _ variant: UInt16) -> Int {
        // The relabeling's bits spread over the index (multiplied by an odd constant), so a
        // state's orbit-mates fall in different slots.
        let mixed = fingerprint.low ^ (UInt64(relabeling) &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(variant)
        return Int(truncatingIfNeeded: mixed) & mask
    }

    /// The slot's key for a state: its relabeling and variant as a slot holds them.
    private static func key(_ relabeling: Relabeling, _ variant: Int) -> (UInt32, UInt16) {
        precondition(variant < Int(UInt16.max), "at most 65,534 models")
        return (UInt32(truncatingIfNeeded: relabeling.packed), UInt16(variant))
    }

    /// Where the state of the model `variant` (of the search's models) with canonical
    /// fingerprint `fingerprint`, written canonically by `relabeling`, is kept, if it is.
    /// The place holds it until the next `keep`.
    func find(_ fingerprint: Fingerprint, _ relabeling: Relabeling, variant: Int) -> Int? {
        let (relabeling, variant) = Self.key(relabeling, variant)
        let i = index(fingerprint, relabeling, variant)
        guard slots[i].variant == variant && slots[i].fingerprint == fingerprint && slots[i].relabeling == relabeling
        else { return nil }
        hits += 1
        slots[i].used = true
        return i
    }

    func state(at place: Int) -> State { states[place].unsafelyUnwrapped }

    /// The state's listing, if a walk listed its actions (`list`). Valid until the next `keep`.
    func listing(at place: Int) -> Listing? { slots[place].listing }

    /// Lists the state's actions, as kinds `kinds`; returns the listing (valid until the next
    /// `keep`).
    func list(kinds: [UInt8], at place: Int) -> Listing {
        let listing = Listing.allocate(capacity: kinds.count)
        listing.fill(kinds: kinds)
        slots[place].listing?.deallocate()
        slots[place].listing = listing
        return listing
    }

    /// Keeps `state` (checked: it breaks no property) and returns its place, unless the state
    /// in that place was taken since it came or since the last state turned away from there
    /// (a second chance, as in CLOCK): then the newcomer is turned away (nil). So states walks
    /// come back to stay, rather than being pushed out by states reached once.
    func keep(_ state: State, _ fingerprint: Fingerprint, _ relabeling: Relabeling, variant: Int) -> Int? {
        let (relabeling, variant) = Self.key(relabeling, variant)
        let i = index(fingerprint, relabeling, variant)
        if slots[i].used {
            slots[i].used = false
            return nil
        }
        slots[i].listing?.deallocate()
        slots[i] = Slot(fingerprint: fingerprint, relabeling: relabeling, variant: variant)
        states[i] = state
        return i
    }
}
