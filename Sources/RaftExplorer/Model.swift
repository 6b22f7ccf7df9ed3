/// A system to explore: its states, the actions enabled in each, and the properties to check.
/// In the spirit of stateright's `Model`.
///
/// Determinism contract: `actions(of:into:)` MUST list the same actions in the same order for
/// the same state, in every process, and `nextState` MUST be a pure function. Paths are stored
/// as action indexes and rebuilt by replay, and traces are replayed in other processes.
public protocol Model: Sendable {
    associatedtype State: Sendable
    associatedtype Action: Hashable & Sendable

    /// The states the system starts in: the same ones on every read (workers build their own).
    var initialStates: [State] { get }
    /// Appends the actions enabled in `state`, in a deterministic order.
    func actions(of state: State, into actions: inout [Action])
    /// The state after `action`, or nil if it changes nothing.
    func nextState(after state: State, action: Action) -> State?
    /// `nextState(after:action:)` for a caller done with `state`, which a model may change in
    /// place where nothing else holds it. The same result. Default: `nextState(after:action:)`.
    func nextState(replacing state: consuming State, action: Action) -> State?
    /// The names of the action kinds, in a fixed order: coverage is counted by kind
    /// (`EventCoverage`), and random walks weigh kinds. Default: one kind, "action".
    var actionKinds: [String] { get }
    /// The kind of `action`: an index into `actionKinds`.
    func kind(of action: Action) -> Int
    /// The properties to check on every state reached.
    var properties: [Property<State>] { get }
    /// Whether `state` is inside the bounds. A state outside is generated but neither counted
    /// as distinct nor explored further (TLC's state constraint). Callers test a successor with
    /// this and nothing else before dropping it, so `nextState` may leave such a state unfinished.
    func withinBoundary(_ state: State) -> Bool
    /// The state's fingerprint: a hash of one canonical byte encoding, the same for every
    /// state the model considers equivalent (e.g. under symmetry). `encoder` is scratch space.
    func fingerprint(of state: State, width: HashWidth, encoder: inout StateEncoder) -> Fingerprint
    /// Appends a compact image of `state`, from which `decode` rebuilds it: the BFS queue
    /// and checkpoints hold states this way. The image is private to the model (it may change
    /// with any release) but the same for the same state in every process. `scratch` belongs
    /// to the calling thread (see `ImageScratch`).
    func encode(_ state: State, into bytes: inout [UInt8], scratch: ImageScratch)
    /// The state whose image `bytes` holds (all of it): equal to the one encoded, with the same
    /// fingerprint, actions and successors. Throws on bytes that are not an image.
    func decode(_ bytes: UnsafeRawBufferPointer, scratch: ImageScratch) throws -> State
    /// Raised whenever what an image holds, or how a state is fingerprinted, changes, so that
    /// a checkpoint written by a build with other images or fingerprints is refused rather
    /// than misread or resumed to other counts.
    static var imageVersion: Int { get }
}

/// What a model may remember between the images one thread encodes or decodes, in `memo`:
/// states queued one after another are mostly siblings, which share most of their parts, so
/// a model can copy a part's image, or share a part it decoded, instead of doing the work
/// again. Never shared between threads; results never depend on it.
public final class ImageScratch {
    public var memo: AnyObject?
    public init() {}
}

extension Model {
    public static var imageVersion: Int { 1 }

    public func withinBoundary(_ state: State) -> Bool { true }

    public var actionKinds: [String] { ["action"] }

    public func kind(of action: Action) -> Int { 0 }

    public func encode(_ state: State, into bytes: inout [UInt8]) { encode(state, into: &bytes, scratch: ImageScratch()) }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> State { try decode(bytes, scratch: ImageScratch()) }

    public func nextState(replacing state: consuming State, action: Action) -> State? {
        nextState(after: state, action: action)
    }

    /// Replays `actions` (a trace's) from the first initial state: the states visited (initial
    /// first), and the index of the first action not enabled where it occurs or leaving the
    /// bounds, if any.
    public func replay(_ actions: [Action]) -> (states: [State], divergedAt: Int?) {
        var states = [initialStates[0]]
        var enabled: [Action] = []
        for (i, action) in actions.enumerated() {
            enabled.removeAll(keepingCapacity: true)
            self.actions(of: states[states.count - 1], into: &enabled)
            guard enabled.contains(action), let next = nextState(after: states[states.count - 1], action: action),
                  withinBoundary(next) else { return (states, i) }
            states.append(next)
        }
        return (states, nil)
    }

    /// The first `always` property `state` violates.
    public func violation(in state: State) -> String? {
        properties.first { $0.expectation == .always && !$0.holds(state) }?.name
    }
}

/// A named predicate over states.
public struct Property<State>: Sendable {
    public enum Expectation: String, Sendable {
        /// Must hold in every reachable state; a state where it fails is a counterexample.
        case always
        /// Should hold in some reachable state; a complete search where it never holds says so.
        case sometimes
    }

    public let name: String
    public let expectation: Expectation
    public let holds: @Sendable (State) -> Bool

    public init(_ expectation: Expectation, _ name: String, _ holds: @escaping @Sendable (State) -> Bool) {
        self.name = name
        self.expectation = expectation
        self.holds = holds
    }

    public static func always(_ name: String, _ holds: @escaping @Sendable (State) -> Bool) -> Property {
        Property(.always, name, holds)
    }

    public static func sometimes(_ name: String, _ holds: @escaping @Sendable (State) -> Bool) -> Property {
        Property(.sometimes, name, holds)
    }
}

extension Array {
    /// The name of the first of these properties that `state` breaks. By index: binding each
    /// property would retain its name and closure, on every state checked.
    @inlinable
    public func firstFailing<State>(in state: State) -> String? where Element == Property<State> {
        withUnsafeBufferPointer { properties in
            for i in properties.indices where !properties[i].holds(state) { return properties[i].name }
            return nil
        }
    }

    /// Bit i set: property i holds in `state` (at most 64 properties).
    @inlinable
    public func holdingMask<State>(in state: State) -> UInt64 where Element == Property<State> {
        withUnsafeBufferPointer { properties in
            var mask: UInt64 = 0
            for i in properties.indices where properties[i].holds(state) { mask |= 1 << i }
            return mask
        }
    }
}
