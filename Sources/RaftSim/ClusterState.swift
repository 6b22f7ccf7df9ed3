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

    public struct Pending: Sendable {
        public var ready: Ready
        public var stage: Stage
    }

    final class Box: @unchecked Sendable {
        var node: RawNode<MemoryStorage>?
        /// The storage while down (unused while up: the node holds it).
        var durable: MemoryStorage
        var pending: Pending?
        var applied: [Entry]
        /// The model's ID-blind signature of this node (for symmetry reduction), set by the
        /// model whenever the node changes, while the box is uniquely owned.
        var signature: UInt64 = 0

        init(node: RawNode<MemoryStorage>?, durable: MemoryStorage, pending: Pending?, applied: [Entry]) {
            self.node = node
            self.durable = durable
            self.pending = pending
            self.applied = applied
        }

        func copy() -> Box { Box(node: node, durable: durable, pending: pending, applied: applied) }
    }

    var box: Box

    public init(node: RawNode<MemoryStorage>) {
        box = Box(node: node, durable: MemoryStorage(), pending: nil, applied: [])
    }

    private mutating func makeUnique() {
        if !isKnownUniquelyReferenced(&box) { box = box.copy() }
    }

    /// The RaftCore node, if up (a copy: for inspection).
    public var node: RawNode<MemoryStorage>? { box.node }
    public var isUp: Bool { box.node != nil }

    /// The durable state: what a crash keeps.
    public var storage: MemoryStorage { box.node?.storage ?? box.durable }

    /// The Ready being carried out, in split mode.
    public var pending: Pending? {
        get { box.pending }
        set { makeUnique(); box.pending = newValue }
    }

    /// The application's state machine: the entries applied, in order. Durable: it survives a
    /// crash (the application persists what it applies), and the node restarts with
    /// `applied = applied.count`.
    public var applied: [Entry] {
        get { box.applied }
        set { makeUnique(); box.applied = newValue }
    }

    var signature: UInt64 {
        get { box.signature }
        set { makeUnique(); box.signature = newValue }
    }

    /// Runs `body` on the node in place, if it is up.
    @discardableResult
    mutating func update<R>(_ body: (inout RawNode<MemoryStorage>) -> R) -> R? {
        guard box.node != nil else { return nil }
        makeUnique()
        return body(&box.node!)
    }

    /// The node crashes: only its storage and applied state machine remain.
    mutating func crash() {
        makeUnique()
        box.durable = box.node?.storage ?? box.durable
        box.node = nil
        box.pending = nil
    }

    /// The node restarts as `node` (built from `storage`).
    mutating func restart(_ node: RawNode<MemoryStorage>) {
        makeUnique()
        box.node = node
        box.durable = MemoryStorage()
    }
}

/// What the properties need to remember of the past (TLA+'s history variables).
public struct History: Hashable, Sendable {
    /// An entry known committed, with the term of the node that first reported it committed
    /// and how many nodes must keep it durable: a majority of the configuration that committed
    /// it (`ClusterModel.recordHistory` says which).
    public struct Committed: Hashable, Sendable {
        public var entry: Entry
        public var term: Term
        public var quorum: UInt8
    }

    /// Every entry ever committed, by index (index 1 first).
    public var committed: [Committed] = []
    /// Every (term, leader) ever seen, sorted, without repeats.
    public var leaders: [TermLeader] = []
    /// Transition properties found broken (bits of `BrokenTransition`).
    public var broken: BrokenTransition = []

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
    /// A node could not apply a committed membership change (RaftCore refused it).
    public static let invalidConfChange = BrokenTransition(rawValue: 1 << 3)
    /// A node's vote changed within a term (in memory, or in its storage): it could vote twice.
    public static let voteChanged = BrokenTransition(rawValue: 1 << 4)
}

/// A client read in progress: requested at `node` when `committedBefore` entries were known
/// committed anywhere; `index` is set once a Ready confirms it (ReadIndex or lease).
public struct PendingRead: Hashable, Sendable {
    public var node: NodeID
    public var context: UInt64
    public var committedBefore: Int
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
}

/// The whole simulated cluster: a value, so successor states share what did not change.
public struct ClusterState: Sendable {
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

    /// Whether the network currently carries messages from `a` to `b`.
    public func connected(_ a: NodeID, _ b: NodeID) -> Bool {
        partition == 0 || (partition >> (a.rawValue - 1) & 1) == (partition >> (b.rawValue - 1) & 1)
    }

    @inlinable public static func slot(_ id: NodeID) -> Int { Int(id.rawValue) - 1 }

    public subscript(id: NodeID) -> SimNode {
        get { nodes[Self.slot(id)] }
        set { nodes[Self.slot(id)] = newValue }
    }

    mutating func send(_ messages: [Message]) {
        for message in messages { insert(message) }
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
