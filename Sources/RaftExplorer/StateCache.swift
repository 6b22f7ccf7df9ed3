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
final class StateCache<State, Action> {
    /// What a walk reads on every step it takes from here: a cache line (64 bytes on 64-bit
    /// platforms); the states themselves are apart (`states`), read only to compute from one.
    private struct Slot {
        var fingerprint = Fingerprint(low: 0)
        var relabeling: UInt64 = 0
        var variant = -1
        /// Whether a walk took the state since it came or since a newer state was turned away.
        var used = false
        /// The actions the model lists for the state, once a walk listed them, and their kinds
        /// (`WeightedModel.kind(of:)`: read on every step, so apart from the far larger actions).
        var actions: [Action]?
        var kinds: [UInt8] = []
        /// What walks learned of each of `actions`' transitions (as `TransitionCache` would).
        var outcomes: [TransitionCache.Outcome?] = []
    }

    private var slots: [Slot]
    /// Each slot's state.
    private var states: [State?]
    private let mask: Int
    /// How many lookups found their state.
    private(set) var hits = 0

    /// Room for 2^`log2Entries` states.
    init(log2Entries: Int) {
        slots = Array(repeating: Slot(), count: 1 << log2Entries)
        states = Array(repeating: nil, count: 1 << log2Entries)
        mask = (1 << log2Entries) - 1
    }

    private func index(_ fingerprint: Fingerprint, _ relabeling: Relabeling, _ variant: Int) -> Int {
        // The relabeling's bits spread over the index (multiplied by an odd constant), so a
        // state's orbit-mates fall in different slots.
        let mixed = fingerprint.low ^ (relabeling.packed &* 0x9E37_79B9_7F4A_7C15) ^ UInt64(truncatingIfNeeded: variant)
        return Int(truncatingIfNeeded: mixed) & mask
    }

    /// Where the state of the model `variant` (of the search's models) with canonical
    /// fingerprint `fingerprint`, written canonically by `relabeling`, is kept, if it is.
    /// The place holds it until the next `keep`.
    func find(_ fingerprint: Fingerprint, _ relabeling: Relabeling, variant: Int) -> Int? {
        let i = index(fingerprint, relabeling, variant)
        guard slots[i].variant == variant && slots[i].fingerprint == fingerprint && slots[i].relabeling == relabeling.packed
        else { return nil }
        hits += 1
        slots[i].used = true
        return i
    }

    func state(at place: Int) -> State { states[place].unsafelyUnwrapped }

    /// The state's actions and their kinds, if listed (`list`).
    func actions(at place: Int) -> (actions: [Action], kinds: [UInt8])? {
        slots[place].actions.map { ($0, slots[place].kinds) }
    }

    /// Records the state's actions, as the model lists them, and their kinds.
    func list(_ actions: [Action], kinds: [UInt8], at place: Int) {
        (slots[place].actions, slots[place].kinds) = (actions, kinds)
        slots[place].outcomes = Array(repeating: nil, count: actions.count)
    }

    /// What walks learned of the transition by the state's action `action` (an index into its
    /// listed actions), if anything.
    func outcome(at place: Int, action: Int) -> TransitionCache.Outcome? { slots[place].outcomes[action] }

    func remember(_ outcome: TransitionCache.Outcome, at place: Int, action: Int) { slots[place].outcomes[action] = outcome }

    /// Keeps `state` (checked: it breaks no property) and returns its place, unless the state
    /// in that place was taken since it came or since the last state turned away from there
    /// (a second chance, as in CLOCK): then the newcomer is turned away (nil). So states walks
    /// come back to stay, rather than being pushed out by states reached once.
    func keep(_ state: State, _ fingerprint: Fingerprint, _ relabeling: Relabeling, variant: Int) -> Int? {
        let i = index(fingerprint, relabeling, variant)
        if slots[i].used {
            slots[i].used = false
            return nil
        }
        slots[i] = Slot(fingerprint: fingerprint, relabeling: relabeling.packed, variant: variant)
        states[i] = state
        return i
    }
}
