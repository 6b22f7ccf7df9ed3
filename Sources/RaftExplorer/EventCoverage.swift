/// How often each kind of action (`Model.actionKinds`) was enabled, taken, and led to a state
/// never seen before, like TLC's `-coverage`: a kind never taken is dead in the spec's bounds.
///
/// - enabled: listed by `actions(of:into:)` in a state the search expanded (a walk: stood in).
/// - taken: led to a successor inside the boundary.
/// - new: led to a distinct state first (BFS and DFS: counted in the merge, so the counts do
///   not depend on the number of workers; random walks: a state new to the campaign).
public struct EventCoverage: Sendable, Equatable {
    public struct Counts: Sendable, Equatable {
        public var enabled = 0
        public var taken = 0
        public var new = 0
    }

    public let kinds: [String]
    public private(set) var counts: [Counts]

    public init(kinds: [String]) {
        self.kinds = kinds
        counts = Array(repeating: Counts(), count: kinds.count)
    }

    @inline(__always) mutating func enabled(_ kind: Int) { counts[kind].enabled &+= 1 }
    @inline(__always) mutating func taken(_ kind: Int) { counts[kind].taken &+= 1 }
    @inline(__always) mutating func new(_ kind: Int) { counts[kind].new &+= 1 }

    /// Adds a walk's counts: kind i's enabled count at `i`, its taken count at `kinds.count + i`.
    mutating func add(enabledThenTaken walk: [Int]) {
        for i in counts.indices {
            counts[i].enabled &+= walk[i]
            counts[i].taken &+= walk[counts.count + i]
        }
    }

    /// The same kinds, every count 0.
    var zeroed: EventCoverage { EventCoverage(kinds: kinds) }

    /// Adds another tally of the same kinds.
    mutating func add(_ other: EventCoverage) {
        for i in counts.indices {
            counts[i].enabled &+= other.counts[i].enabled
            counts[i].taken &+= other.counts[i].taken
            counts[i].new &+= other.counts[i].new
        }
    }

    /// The kinds, with their counts, in `actionKinds` order.
    public var byKind: [(kind: String, counts: Counts)] { Array(zip(kinds, counts)) }
}
