/// Where one random walk stands, and what it knows: the state (held, or kept in the worker's
/// `StateCache` and taken out only to compute from it), the state's canonical fingerprint, its
/// actions once listed, and the worker's caches. It answers for the successors a `WalkPolicy`
/// draws, from what walks learned where it can, and moves to the one picked. Owned by one walk.
struct WalkCursor<M: WeightedModel>: ~Copyable {
    let model: M
    let variant: Int
    /// The variant's `always` properties, checked on every state the walk computes.
    let always: [Property<M.State>]
    let width: HashWidth
    /// Whether successors are fingerprinted (for novelty or to count distinct states).
    let fingerprinting: Bool
    /// The worker's remembered transitions (nil: none remembered).
    let transitions: TransitionCache?
    /// The worker's kept states (nil when transitions are not remembered).
    let states: StateCache<M.State>?
    /// The walk's state, unless it is kept in `states` at `place` and not taken out.
    var held: M.State?
    /// Where `states` keeps the walk's state, if it does.
    var place: Int?
    /// The state's canonical fingerprint, while transitions are remembered.
    var canonical: (fingerprint: Fingerprint, relabeling: Relabeling?)?
    var actions = Actions()
    /// The listing of each state not kept.
    var scratch = ScratchListing()
    var encoder = StateEncoder()
    /// The states of the candidate last computed and of the one picked so far (plain words
    /// apart: a pick is copied around, its state is only moved).
    var computed: M.State?
    var pickedState: M.State?
    /// Told which action each computation is for, to report a trap (nil: traps not caught).
    let witness: TrapCatcher.Witness?

    /// The actions of the walk's state as the model lists them, and their kinds: listed only
    /// when the walk needs them, to compute from the state, to keep it, to look up a transition
    /// its listing has not learned, or for PCT's threads. Buffers reused from step to step.
    struct Actions {
        var enabled: [M.Action] = []
        var kinds: [UInt8] = []
        /// Whether `enabled` and `kinds` are the walk's state's.
        var listed = false
    }

    init(model: M, variant: Int, state: M.State, always: [Property<M.State>], canonical: (fingerprint: Fingerprint, relabeling: Relabeling?)?,
         width: HashWidth, fingerprinting: Bool, transitions: TransitionCache?, states: StateCache<M.State>?, witness: TrapCatcher.Witness?) {
        (self.model, self.variant, self.always, self.width, self.witness) = (model, variant, always, width, witness)
        (self.fingerprinting, self.transitions, self.states) = (fingerprinting, transitions, states)
        held = state
        self.canonical = canonical
    }

    /// Moves along `choices` (a frontier walk's prefix: inside the boundary, breaking no
    /// property, since its walk went on).
    mutating func replay(_ choices: ArraySlice<UInt16>) {
        held = model.replay(choices, from: held.take().unsafelyUnwrapped).state
        if canonical != nil { canonical = model.canonicalFingerprint(of: held.unsafelyUnwrapped, width: width, encoder: &encoder) }
    }

    /// Takes the starting state from the kept states if they hold it, or else keeps it there
    /// once checked.
    mutating func settleStart() {
        guard let states, let canonical, let relabeling = canonical.relabeling else { return }
        place = states.find(canonical.fingerprint, relabeling, variant: variant)
        if place == nil && always.firstFailing(in: held.unsafelyUnwrapped) == nil {
            list()
            place = states.keep(held.unsafelyUnwrapped, kinds: actions.kinds, canonical.fingerprint, relabeling, variant: variant)
        }
    }

    /// The state's listing: kept with the state, or else made now.
    @inline(__always)
    mutating func listing() -> Listing {
        if let place { return states.unsafelyUnwrapped.listing(at: place) }
        list()
        return scratch.fill(kinds: actions.kinds)
    }

    /// Lists the actions of the walk's state (taken out of `states` if need be) into
    /// `actions`, unless listed already.
    mutating func list() {
        guard !actions.listed else { return }
        if held == nil { held = states.unsafelyUnwrapped.state(at: place.unsafelyUnwrapped) }
        actions.enabled.removeAll(keepingCapacity: true)
        model.actions(of: held.unsafelyUnwrapped, into: &actions.enabled)
        actions.kinds.removeAll(keepingCapacity: true)
        // By index: `for action in enabled` would copy each event (retaining its payload).
        for i in actions.enabled.indices { actions.kinds.append(UInt8(model.kind(of: actions.enabled[i]))) }
        actions.listed = true
    }

    /// The successor by action `index`, or nil if it is dropped (none, or outside the
    /// boundary). Answered from what `listing` or else `transitions` learned of the transition,
    /// without the state; learned in both otherwise, and the successor's state put in `computed`.
    mutating func successor(_ index: Int, in listing: Listing) -> Pick? {
        let learned = listing[index]
        switch learned.tag {
        case .dropped:
            return nil
        case .successor, .seenSuccessor:
            var pick = Pick(fingerprint: learned.successor, relative: learned.relative, seen: learned.tag == .seenSuccessor, index: index)
            // Kept when last taken: the walk may go there, and its slot and block come in while
            // the walk weighs the other candidates.
            if !learned.hint.isNone, states != nil, let base = canonical?.relabeling {
                pick.compose(after: base)
                states.unsafelyUnwrapped.prefetch(learned.successor, pick.relabeling.unsafelyUnwrapped, variant: variant, hint: learned.hint)
                pick.hint = learned.hint
            }
            return pick
        case .unknown:
            break
        }
        list()
        var key: Fingerprint?
        if let transitions, let canonical, let relabeling = canonical.relabeling {
            let k = TransitionCache.key(actions.enabled[index], model: model, variant: variant, state: canonical.fingerprint,
                                        relabeling: relabeling, encoder: &encoder)
            switch transitions.outcome(of: k) {
            case .dropped?:
                listing.learn(.dropped, action: index)
                return nil
            case .successor(let fp, let relative)?:
                listing.learn(.successor(fp, relative: relative), action: index)
                return Pick(fingerprint: fp, relative: UInt32(truncatingIfNeeded: relative), index: index)
            case nil:
                key = k
            }
        }
        let learn = { [transitions] (outcome: TransitionCache.Outcome) in
            if let key {
                transitions.unsafelyUnwrapped.remember(outcome, of: key)
                listing.learn(outcome, action: index)
            }
        }
        witness?.action = index
        guard let next = model.nextState(after: held.unsafelyUnwrapped, action: actions.enabled[index]), model.withinBoundary(next) else {
            learn(.dropped)
            return nil
        }
        guard fingerprinting else {
            computed = next
            return Pick(index: index)
        }
        let (fp, relabeling) = model.canonicalFingerprint(of: next, width: width, encoder: &encoder)
        if let relabeling, let from = canonical?.relabeling {
            learn(.successor(fp, relative: relabeling.relative(to: from).packed))
        }
        computed = next
        return Pick(fingerprint: fp, relabeling: relabeling, index: index)
    }

    /// The candidate last answered for is the one picked so far: its state, if computed, goes
    /// with it.
    mutating func holdCandidate() { pickedState = computed.take() }

    /// The candidate last answered for is passed over.
    mutating func dropCandidate() { computed = nil }

    /// Moves to `pick`'s successor: the state computed for it, or one the kept states hold
    /// (already checked), or else computed now from the state given up. Returns the property
    /// it breaks, if any.
    @inline(__always)
    mutating func move(to pick: inout Pick, from listing: Listing) -> String? {
        witness?.action = pick.index
        // A successor learned before: its relabeling composed now it is picked (if not yet).
        if let base = canonical?.relabeling { pick.compose(after: base) }
        if !pick.hint.isNone { states.unsafelyUnwrapped.prefetchListing(pick.hint) }
        // Moved out, not copied: the walk goes on from the state alone. Computed now, the
        // encoder lets go of the state's nodes, so the one that changes, if the walk alone
        // holds it, changes in place.
        var state: M.State
        // Whether the walk retraces a transition (learned before): its successor, reached
        // before, is kept; a state reached for the first time is not (most are never reached
        // again, and keeping one would cost its copy-on-write buffers being copied next step).
        var retraced = false
        if let next = pickedState.take() {
            state = next
        } else if states != nil, let fp = pick.fingerprint, let relabeling = pick.relabeling,
                  let found = states.unsafelyUnwrapped.find(fp, relabeling, variant: variant) {
            listing.hint(states.unsafelyUnwrapped.hint(at: found), action: pick.index)
            (held, place, actions.listed) = (nil, found, false)
            if canonical != nil { canonical = (fp, relabeling) }
            return nil
        } else {
            list()
            encoder.forgetParts()
            state = model.nextState(replacing: held.take().unsafelyUnwrapped, action: actions.enabled[pick.index]).unsafelyUnwrapped
            retraced = true
        }
        (place, actions.listed) = (nil, false)
        if canonical != nil { canonical = pick.fingerprint.map { ($0, pick.relabeling) } }
        if let property = always.firstFailing(in: state) { return property }
        held = consume state
        if retraced, let states, let fp = pick.fingerprint, let relabeling = pick.relabeling {
            // Listed now to keep the state with its listing (the next step lists them anyway).
            list()
            place = states.keep(held.unsafelyUnwrapped, kinds: actions.kinds, fp, relabeling, variant: variant)
        }
        return nil
    }
}

/// A successor a walk may take: its fingerprint, canonicalizing relabeling or, if learned
/// before, that relabeling relative to the state's (`Listing.Learned.relative`), whether the
/// seen set was known to hold it, and the action's index.
struct Pick {
    var fingerprint: Fingerprint?
    var relabeling: Relabeling?
    var relative: UInt32?
    var seen = false
    var hint = KeptHint.none
    var index: Int

    /// Composes `relabeling` from `relative` and the state's relabeling `base`, if still to do.
    mutating func compose(after base: Relabeling) {
        guard let relative = relative.take() else { return }
        relabeling = Relabeling(packed: UInt64(relative), count: base.count).after(base)
    }
}
