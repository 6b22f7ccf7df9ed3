/// A membership configuration as persisted in snapshots. All lists are sorted and duplicate-free.
///
/// In a joint configuration `votersOutgoing` is non-empty and both voter sets must agree.
/// `learnersNext` holds voters of the outgoing set that become learners when the joint
/// configuration is left (they cannot be learners while they still vote).
public struct ConfState: Hashable, Sendable {
    public var voters: [NodeID] { lists.voters }
    public var learners: [NodeID] { lists.learners }
    public var votersOutgoing: [NodeID] { lists.votersOutgoing }
    public var learnersNext: [NodeID] { lists.learnersNext }
    public var autoLeave: Bool

    /// The four lists behind one reference: every storage, snapshot and node holds a
    /// configuration, and nodes are copied on every simulated event.
    private struct Lists: Hashable, Sendable {
        var voters: [NodeID]
        var learners: [NodeID]
        var votersOutgoing: [NodeID]
        var learnersNext: [NodeID]
    }
    @Indirect private var lists: Lists

    public init(
        voters: [NodeID] = [], learners: [NodeID] = [], votersOutgoing: [NodeID] = [],
        learnersNext: [NodeID] = [], autoLeave: Bool = false
    ) {
        _lists = Indirect(wrappedValue: Lists(voters: voters.sortedUnique(), learners: learners.sortedUnique(),
                      votersOutgoing: votersOutgoing.sortedUnique(), learnersNext: learnersNext.sortedUnique()))
        self.autoLeave = autoLeave
    }
}

/// Where a snapshot stands in the log, and the configuration in force at that point.
public struct SnapshotMetadata: Hashable, Sendable, Codable {
    public var index: LogIndex
    public var term: Term
    public var confState: ConfState

    public init(index: LogIndex = .zero, term: Term = .zero, confState: ConfState = ConfState()) {
        self.index = index
        self.term = term
        self.confState = confState
    }
}

/// The application's state machine at `metadata.index`, replacing the log up to it.
public struct Snapshot: Hashable, Sendable {
    public var metadata: SnapshotMetadata { contents.metadata }
    public var data: [UInt8] { contents.data }

    /// Behind one reference: messages, storages and nodes holding a snapshot are copied on
    /// every simulated event (and a message stays small).
    private struct Contents: Hashable, Sendable {
        var metadata: SnapshotMetadata
        var data: [UInt8]
    }
    @Indirect private var contents: Contents

    public init(metadata: SnapshotMetadata = SnapshotMetadata(), data: [UInt8] = []) {
        _contents = Indirect(wrappedValue: Contents(metadata: metadata, data: data))
    }

    /// A snapshot at index 0 stands for "no snapshot".
    public var isEmpty: Bool { metadata.index == .zero }
}

extension Array where Element: Comparable {
    /// Sorted ascending, duplicates removed: the canonical form of every ID list in RaftCore.
    @inlinable
    func sortedUnique() -> [Element] {
        var result = self
        result.sort()
        var write = 0
        for read in result.indices where write == 0 || result[read] != result[write - 1] {
            result[write] = result[read]
            write += 1
        }
        result.removeLast(result.count - write)
        return result
    }

    /// Inserts `element` into this sorted, duplicate-free array, keeping it so.
    @inlinable
    mutating func insertSorted(_ element: Element) {
        let at = firstIndex { $0 >= element } ?? endIndex
        if at == endIndex || self[at] != element { insert(element, at: at) }
    }
}
