import RaftCore

/// One node of the simulated cluster: its RaftCore node while up, or only its storage while
/// down; the Ready being carried out (split mode); and the application's state machine.
///
/// A copy-on-write box: copying a cluster state shares every node, and a successor state copies
/// only the node an event changed (stateright keeps each actor behind an `Arc` likewise).
public struct SimNode: Sendable {
    /// How far the current Ready has been carried out (split mode).
    public enum Stage: UInt8, Sendable {
        /// `messages` sent.
        case sent
        /// Entries and hard state persisted.
        case persisted
        /// `messagesAfterPersist` sent; applying and advancing is next.
        case announced
    }

    public struct Pending: Equatable, Sendable {
        public var ready: Ready
        public var stage: Stage
    }

    /// What the explorer reads of a node on every state, derived once when a box is built (a
    /// box's node never changes): the role (nil while down), whether it may campaign, whether a
    /// Ready waits, the terms of the whole log (in memory while up) and of the stored log, each
    /// from the index before its first entry (the snapshot's).
    struct View {
        var role: Role?
        var isPromotable: Bool
        var hasReady: Bool
        var logFirst: LogIndex
        var logTerms: [Term]
        var storedFirst: LogIndex
        var storedTerms: [Term]
        /// Whether the terms of the log, and of the stored log, never go down from one index to
        /// the next (a snapshot's term counting as its index's).
        var termsAscend: Bool

        /// Derived from a box's node (or, while down, its storage) before it goes in, while it
        /// is a value of its own: each call into a struct held in a class would first copy
        /// that struct whole (every buffer retained).
        init(up node: borrowing RawNode<MemoryStorage>, storedTermsBefore: [Term]) {
            role = node.raft.role
            isPromotable = node.raft.isPromotable
            hasReady = node.hasReady
            (storedFirst, storedTerms) = (node.storage.firstIndex, Self.terms(of: node.storage, reusing: storedTermsBefore))
            if node.raft.log.unstableEntries.isEmpty && node.raft.log.unstableSnapshot == nil {
                (logFirst, logTerms) = (storedFirst, storedTerms)  // All of the log is stored.
                termsAscend = Self.ascend(storedTerms)
            } else {
                (logFirst, logTerms) = (node.raft.log.firstIndex, node.raft.log.terms)
                termsAscend = Self.ascend(logTerms) && Self.ascend(storedTerms)
            }
        }

        init(down storage: borrowing MemoryStorage, storedTermsBefore: [Term]) {
            role = nil
            (isPromotable, hasReady) = (false, false)
            (storedFirst, storedTerms) = (storage.firstIndex, Self.terms(of: storage, reusing: storedTermsBefore))
            (logFirst, logTerms) = (storedFirst, storedTerms)
            termsAscend = Self.ascend(storedTerms)
        }

        private static func ascend(_ terms: [Term]) -> Bool {
            terms.indices.dropFirst().allSatisfy { terms[$0 - 1] <= terms[$0] }
        }

        /// The stored log's terms: `before` (shared, no new array) if they are still those.
        private static func terms(of storage: borrowing MemoryStorage, reusing before: [Term]) -> [Term] {
            storage.hasTerms(before) ? before : storage.terms()
        }
    }

    /// For symmetry reduction, what the model adds to a box when it finishes an event
    /// (`ClusterModel.seal`): the node's ID-blind signature and what it holds about each other
    /// node (by slot; `ClusterModel.relation`). Plain words: reading it retains nothing.
    struct Seal {
        var signature: UInt64 = 0
        /// By slot (a spec has at most 7 nodes); inline, so sealing a node allocates nothing
        /// for it. All 0 until sealed under symmetry.
        var relations = Relations(repeating: 0)
        /// Whether the box was sealed (with or without symmetry): a box is new until it is.
        var isSet = false
        typealias Relations = InlineArray<8, UInt64>
    }

    final class Box: @unchecked Sendable {
        /// The node while up (`isUp`); a placeholder nothing reads while down. Immutable, so that
        /// reads chained down to stored fields borrow them in place (a `var` in a class is copied,
        /// every buffer retained, on each read; a call into the node copies it whole first, so
        /// the view is derived from the parts, before they go in). A change builds a new box
        /// (`put`).
        let upNode: RawNode<MemoryStorage>
        let isUp: Bool
        /// The storage while down (unused while up: the node holds it).
        let durable: MemoryStorage
        let pending: Pending?
        let applied: [Entry]
        /// Derived when the box is built. Immutable, so that reads borrow it in place (a `var`
        /// in a class is copied, its arrays retained, on each read).
        let view: View
        /// Set (`SimNode.seal`) while the box is uniquely owned, before any state holding it is
        /// handed out.
        var seal = Seal()

        init(_ parts: consuming Parts) {
            if let node = parts.node.take() {
                view = View(up: node, storedTermsBefore: parts.storedTermsBefore)
                (upNode, isUp) = (node, true)
            } else {
                view = View(down: parts.durable, storedTermsBefore: parts.storedTermsBefore)
                (upNode, isUp) = (Self.placeholder, false)
            }
            (durable, pending, applied) = (parts.durable, parts.pending, parts.applied)
        }

        private init(copying box: Box) {
            (upNode, isUp, durable, pending, applied, view, seal) = (box.upNode, box.isUp, box.durable, box.pending, box.applied, box.view, box.seal)
        }

        func copy() -> Box { Box(copying: self) }

        /// What a down node's box holds in place of a node.
        private static let placeholder = try! RawNode(config: Config(id: NodeID(1)), storage: MemoryStorage())
    }

    /// The box; nil only between `take` and `put`. Not a shared placeholder box: every change
    /// on every thread would retain and release that one object, whose reference count the
    /// cores would then pass back and forth.
    private var stored: Box?

    /// The box, read in place (checked for nil in debug builds only).
    var box: Box {
        _read { yield stored.unsafelyUnwrapped }
    }

    public init(node: RawNode<MemoryStorage>) {
        self.init(parts: Parts(node: node, durable: MemoryStorage(), pending: nil, applied: []))
    }

    init(parts: consuming Parts) { stored = Box(parts) }

    /// What the explorer reads of the node (see `View`).
    var view: View {
        _read { yield box.view }
    }

    /// The node's signature and relations (see `Seal`); all 0 on an unsealed box.
    var sealed: Seal { box.seal }

    /// Whether the box is new since the model last sealed the state's nodes.
    var needsSeal: Bool { !box.seal.isSet }

    /// Seals the node's box with its signature and relations.
    mutating func seal(signature: UInt64, relations: Seal.Relations) {
        makeUnique()
        box.seal = Seal(signature: signature, relations: relations, isSet: true)
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&stored) { stored = box.copy() }
    }

    /// The RaftCore node, if up: a copy. The checker's hot paths read `box.upNode` in place
    /// (chaining into it rather than binding it; an accessor would copy it too).
    public var node: RawNode<MemoryStorage>? { box.isUp ? box.upNode : nil }
    public var isUp: Bool { box.isUp }

    /// The node's term: its current one if up, else the one it persisted.
    public var term: Term { box.isUp ? box.upNode.raft.term : box.durable.hardState.term }

    /// Whether the node can take an input (a delivery, a tick, a client request): it is up, holds
    /// no Ready it has not taken, and carries none out unless its Ready loop is `pipelined`.
    func takesInput(_ steps: Spec.ReadySteps) -> Bool {
        box.isUp && !view.hasReady && (box.pending == nil || steps == .pipelined)
    }

    /// The durable state: what a crash keeps (read in place).
    public var storage: MemoryStorage {
        _read {
            if box.isUp { yield box.upNode.raft.log.storage } else { yield box.durable }
        }
    }

    /// The durable hard state. A plain getter: reading it through `storage`'s coroutine
    /// allocates the coroutine's frame on every read.
    public var hardState: HardState {
        box.isUp ? box.upNode.raft.log.storage.hardState : box.durable.hardState
    }

    /// The first and last index of the node's whole log: in memory while up, its storage while
    /// down.
    var logBounds: (first: LogIndex, last: LogIndex) {
        (view.logFirst, LogIndex(UInt64(Int(view.logFirst.rawValue) + view.logTerms.count - 2)))
    }

    /// The term of the entry at `index` in the node's whole log, nil if it holds none there.
    func logTerm(at index: LogIndex) -> Term? { Self.term(at: index, view.logFirst, view.logTerms) }

    private static func term(at index: LogIndex, _ first: LogIndex, _ terms: [Term]) -> Term? {
        let offset = Int(index.rawValue) - Int(first.rawValue) + 1
        return terms.indices.contains(offset) ? terms[offset] : nil
    }

    /// The Ready being carried out, in split mode (changed through `take` and `put`).
    public var pending: Pending? { box.pending }

    /// The application's state machine: the entries applied, in order. Durable: it survives a
    /// crash (the application persists what it applies), and the node restarts with
    /// `applied = applied.count`.
    public var applied: [Entry] {
        get { box.applied }
        set {
            let seal = box.seal
            var parts = take()
            parts.applied = newValue
            put(parts)
            box.seal = seal
        }
    }

    /// The index of the last entry the state machine applied (its length).
    var appliedIndex: LogIndex { LogIndex(UInt64(box.applied.count)) }

    /// A node's parts, taken out of its box to be changed (`take`, then `put`).
    struct Parts {
        var node: RawNode<MemoryStorage>?
        var durable: MemoryStorage
        var pending: Pending?
        var applied: [Entry]
        /// The stored log's terms in the box the parts came from, which the new box shares if
        /// they did not change (most events leave the stored log as it was).
        var storedTermsBefore: [Term] = []
    }

    /// Takes the parts out, leaving no box until `put`. If this state held the box alone,
    /// the parts' buffers are unique again, so changes to them happen in place.
    mutating func take() -> Parts {
        let parts = Parts(node: box.isUp ? box.upNode : nil, durable: box.durable, pending: box.pending, applied: box.applied,
                          storedTermsBefore: box.view.storedTerms)
        stored = nil
        return parts
    }

    /// Puts changed parts back, in a new box (to be sealed).
    mutating func put(_ parts: consuming Parts) {
        stored = Box(parts)
    }

    /// The node crashes: only its storage and applied state machine remain.
    mutating func crash() {
        stored = Box(Parts(node: nil, durable: storage, pending: nil, applied: box.applied, storedTermsBefore: view.storedTerms))
    }

    /// The node restarts as `node` (built from `storage`).
    mutating func restart(_ node: RawNode<MemoryStorage>) {
        stored = Box(Parts(node: node, durable: MemoryStorage(), pending: box.pending, applied: box.applied,
                           storedTermsBefore: view.storedTerms))
    }
}

extension SimNode: Equatable {
    /// Equal nodes: the same RaftCore node while up (its storage within), or the same storage
    /// while down; the same Ready in progress and the same state machine. What a box derives
    /// from these (view, seal) follows from them.
    public static func == (a: SimNode, b: SimNode) -> Bool {
        guard a.isUp == b.isUp, a.pending == b.pending, a.applied == b.applied else { return false }
        return a.isUp ? a.box.upNode == b.box.upNode : a.box.durable == b.box.durable
    }
}

/// What the properties need to remember of the past (TLA+'s history variables).
public struct History: Hashable, Sendable {
    /// An entry known committed, with the term of the node that first reported it committed
    /// and the voters that must keep it durable: majorities of the configuration that committed
    /// it. That is the node's configuration before the event that committed it, or after it
    /// when a change applied within the event (`ClusterModel.recordHistory`): either suffices.
    public struct Committed: Hashable, Sendable {
        public var entry: Entry
        public var term: Term
        public var before: Voters
        public var after: Voters

        /// Whether the nodes in `holders` (bit i: node i + 1) keep it durable.
        func isDurable(on holders: UInt8) -> Bool {
            before.isMajority(of: holders) || after.isMajority(of: holders)
        }
    }

    /// A configuration's voters as node bitmasks (bit i: node i + 1): the incoming half and, in
    /// a joint configuration, the outgoing one (0 outside).
    public struct Voters: Hashable, Sendable {
        public var incoming: UInt8
        public var outgoing: UInt8

        public init(incoming: UInt8, outgoing: UInt8 = 0) { (self.incoming, self.outgoing) = (incoming, outgoing) }

        public init(_ config: TrackerConfig) {
            let mask = { (ids: [NodeID]) in ids.reduce(UInt8(0)) { $0 | 1 << ($1.rawValue - 1) } }
            (incoming, outgoing) = (mask(config.voters.incoming.voters), mask(config.voters.outgoing.voters))
        }

        /// Whether `holders` holds a majority of each half (an empty half is no constraint).
        public func isMajority(of holders: UInt8) -> Bool {
            let majority = { (half: UInt8) in half == 0 || (holders & half).nonzeroBitCount > half.nonzeroBitCount / 2 }
            return majority(incoming) && majority(outgoing)
        }
    }

    /// Every entry ever committed, by index (index 1 first).
    public var committed: [Committed] = []
    /// Every (term, leader) ever seen, sorted, without repeats.
    public var leaders: [TermLeader] = []
    /// Transition properties found broken (bits of `BrokenTransition`).
    public var broken: BrokenTransition = []
    /// What the features a spec turns on have done so far (vacuity checks).
    public var reached: Milestones = []

    /// Whether the entries of `applied` from `offset` on were all committed, each at its index.
    func appliedSafely(_ applied: [Entry], from offset: Int) -> Bool {
        guard applied.count <= committed.count else { return false }
        return (offset..<applied.count).allSatisfy { committed[$0].entry == applied[$0] }
    }

    public struct TermLeader: Hashable, Comparable, Sendable {
        public var term: Term
        public var leader: NodeID
        public static func < (a: Self, b: Self) -> Bool { (a.term, a.leader) < (b.term, b.leader) }
    }
}

/// Properties of a transition rather than of a state, recorded in the state when broken.
public struct BrokenTransition: OptionSet, Hashable, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    /// A leader overwrote or deleted an entry of its own log in its term.
    public static let leaderAppendOnly = BrokenTransition(rawValue: 1 << 0)
    /// A node's commit (while up), its persisted commit, or its applied index went backwards, or
    /// an entry was applied out of order.
    public static let monotonicCommit = BrokenTransition(rawValue: 1 << 1)
    /// A read observed a state missing a write committed before the read was requested.
    public static let linearizableReads = BrokenTransition(rawValue: 1 << 2)
    /// A node could not apply a committed membership change (RaftCore refused it), applied it
    /// to a configuration that does not hold what the change asked for, or restored a snapshot
    /// and kept a configuration other than the one it carries.
    public static let invalidConfChange = BrokenTransition(rawValue: 1 << 3)
    /// A node's vote changed within a term (in memory, or in its storage): it could vote twice.
    public static let voteChanged = BrokenTransition(rawValue: 1 << 4)
    /// A node applied an entry other than the one committed at its index, or one not committed.
    public static let stateMachineSafety = BrokenTransition(rawValue: 1 << 5)
    /// A node became leader while not a voter of its own configuration (a learner, or a node
    /// outside it): only voters campaign.
    public static let leaderNotVoter = BrokenTransition(rawValue: 1 << 6)
    /// A leader's record of how far a peer's log matches its own (`match`) went backwards
    /// within its term: acknowledgements only ever add to what a follower holds.
    public static let matchWentBack = BrokenTransition(rawValue: 1 << 7)
}

/// Things a feature does that a spec turning it on should see happen: a complete search that
/// never reaches one says so (`sometimes` properties), so bounds too tight to exercise a feature
/// do not pass as a clean check of it.
public struct Milestones: OptionSet, Hashable, Sendable {
    public let rawValue: UInt16
    public init(rawValue: UInt16) { self.rawValue = rawValue }
    /// A node restored its state machine from a snapshot a leader sent it.
    public static let snapshotInstalled = Milestones(rawValue: 1 << 0)
    /// A node restarted from storage holding a snapshot.
    public static let restartedFromSnapshot = Milestones(rawValue: 1 << 1)
    /// A leader told the transferee to campaign (`TimeoutNow` delivered).
    public static let transferCampaign = Milestones(rawValue: 1 << 2)
    /// A node applied a change entering a joint configuration.
    public static let jointEntered = Milestones(rawValue: 1 << 3)
    /// A node applied the change leaving a joint configuration.
    public static let jointLeft = Milestones(rawValue: 1 << 4)
    /// A node took a message while a committed entry handed out was not yet applied.
    public static let appliedLate = Milestones(rawValue: 1 << 5)
    /// A leader stepped down as it applied its own removal or demotion (`step_down_on_removal`).
    public static let removedLeaderSteppedDown = Milestones(rawValue: 1 << 6)
    /// A Ready handed out fewer committed entries than were committed
    /// (`max_committed_size_per_ready`).
    public static let committedHandedOutInParts = Milestones(rawValue: 1 << 7)
    /// A node's entries were written over in memory while their write was under way, before
    /// the write was acknowledged (`ready_steps: pipelined`).
    public static let writeOverwritten = Milestones(rawValue: 1 << 8)
}

/// A client read in progress: requested at `node` when `committedBefore` entries were known
/// committed anywhere; `index` is set once a Ready confirms it (ReadIndex or lease). Asked
/// after `stabilize`, it also holds the fair round it was asked in (counted from 1) and the
/// node's term then; before, both are 0.
public struct PendingRead: Hashable, Sendable {
    public var node: NodeID
    public var context: UInt64
    public var committedBefore: Int
    public var round: UInt16 = 0
    public var term = Term.zero
    public var index: LogIndex?
}

/// Event counts the bounds limit.
public struct Counters: Hashable, Sendable {
    public var proposals: UInt8 = 0
    public var crashes: UInt8 = 0
    public var restarts: UInt8 = 0
    public var drops: UInt8 = 0
    public var duplicates: UInt8 = 0
    public var partitions: UInt8 = 0
    public var reads: UInt8 = 0
    public var confChanges: UInt8 = 0
    public var compactions: UInt8 = 0
    public var transfers: UInt8 = 0
    public var unreachables: UInt8 = 0
}

/// The whole simulated cluster: a value, so successor states share what did not change.
public struct ClusterState: Equatable, Sendable {
    /// Node `i` has ID `i + 1`.
    public var nodes: [SimNode]
    /// Messages in flight: a multiset, kept sorted by `Message.order`.
    public var network: [Message] = []
    public var counters = Counters()
    public var history = History()
    /// Client reads not yet served, in request order.
    public var reads: [PendingRead] = []
    /// The side of the current network partition (bit i: node i + 1); 0 when whole.
    public var partition: UInt8 = 0
    /// Under bounded clock drift (`Spec.RaftOptions.clockDrift`): how many ticks each node's
    /// clock runs ahead of the slowest node that is up, 8 bits per slot; 0 for down nodes.
    public var clocks: UInt64 = 0
    /// Set by `stabilize` (`Spec.liveness`): faults have stopped, time runs in fair rounds.
    public var calm: Calm?
    /// Snapshots a node sent that the application has not reported yet (`report-snapshot`):
    /// bit `8 * slot(sender) + slot(peer)`. A report may come after the follower acknowledged
    /// the snapshot, or after the sender lost leadership and won it back; a crash loses them.
    public var unreportedSnapshots: UInt64 = 0

    @inlinable public static func snapshotBit(from sender: NodeID, to peer: NodeID) -> UInt64 {
        1 << (8 * slot(sender) + slot(peer))
    }

    /// The peers (bit `slot(peer)`) the node in `slot` sent snapshots not reported yet.
    public func unreportedSnapshots(sentBy slot: Int) -> UInt8 { UInt8(truncatingIfNeeded: unreportedSnapshots >> (8 * slot)) }

    public func clock(_ slot: Int) -> Int { Int(clocks >> (8 * slot) & 0xFF) }

    /// Node `slot` ticked, crashed or restarted: its clock moves one ahead (or, down or fresh,
    /// to 0), and every up clock moves back by the slowest one's lead.
    mutating func advanceClock(_ slot: Int, tick: Bool) {
        clocks = clocks & ~(0xFF << (8 * slot)) | (tick ? UInt64(clock(slot) + 1) << (8 * slot) : 0)
        var slowest = Int.max
        for slot in nodes.indices where nodes[slot].isUp { slowest = min(slowest, clock(slot)) }
        guard slowest != Int.max, slowest > 0 else { return }
        for slot in nodes.indices where nodes[slot].isUp { clocks -= UInt64(slowest) << (8 * slot) }
    }

    /// Whether the network currently carries messages from `a` to `b`.
    public func connected(_ a: NodeID, _ b: NodeID) -> Bool {
        partition == 0 || (partition >> (a.rawValue - 1) & 1) == (partition >> (b.rawValue - 1) & 1)
    }

    @inlinable public static func slot(_ id: NodeID) -> Int { Int(id.rawValue) - 1 }

    /// The highest term of any node.
    public var maxTerm: Term { nodes.reduce(.zero) { max($0, $1.term) } }

    public subscript(id: NodeID) -> SimNode {
        _read { yield nodes[Self.slot(id)] }
        _modify { yield &nodes[Self.slot(id)] }
    }

    mutating func send(_ messages: [Message]) {
        for message in messages {
            if message.type == .snapshot { unreportedSnapshots |= Self.snapshotBit(from: message.from, to: message.to) }
            insert(message)
        }
    }

    /// Adds one copy of `message`, keeping the network sorted.
    mutating func insert(_ message: Message) {
        var low = 0, high = network.count
        while low < high {
            let mid = (low + high) / 2
            if Message.order(network[mid], message) { low = mid + 1 } else { high = mid }
        }
        network.insert(message, at: low)
    }

    /// Removes one copy of `message`; returns whether there was one.
    mutating func remove(_ message: Message) -> Bool {
        guard let i = network.firstIndex(of: message) else { return false }
        network.remove(at: i)
        return true
    }
}

extension Message {
    /// A total order on messages by content (used to keep the network sorted; the order itself
    /// never reaches fingerprints, which hash the multiset under each relabeling).
    static func order(_ a: Message, _ b: Message) -> Bool {
        if a.to != b.to { return a.to < b.to }
        if a.from != b.from { return a.from < b.from }
        if a.type != b.type { return a.type.rawValue < b.type.rawValue }
        if a.term != b.term { return a.term < b.term }
        if a.index != b.index { return a.index < b.index }
        if a.logTerm != b.logTerm { return a.logTerm < b.logTerm }
        if a.commit != b.commit { return a.commit < b.commit }
        if a.reject != b.reject { return !a.reject }
        if a.rejectHint != b.rejectHint { return a.rejectHint < b.rejectHint }
        if a.context != b.context { return a.context < b.context }
        if a.campaignTransfer != b.campaignTransfer { return !a.campaignTransfer }
        if a.entries.count != b.entries.count { return a.entries.count < b.entries.count }
        for (x, y) in zip(a.entries, b.entries) where x != y {
            if x.term != y.term { return x.term < y.term }
            if x.index != y.index { return x.index < y.index }
            if x.kind != y.kind { return x.kind.rawValue < y.kind.rawValue }
            return x.data.lexicographicallyPrecedes(y.data)
        }
        return false
    }
}
