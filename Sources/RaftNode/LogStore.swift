import RaftCore

/// Where a node's log entries live durably (hashicorp/raft's `LogStore`). Indexes are
/// contiguous: the store holds `firstIndex...lastIndex`, empty when `lastIndex < firstIndex`.
///
/// Contract: `append` returns only once the entries are durable, since a node acknowledges
/// them to the leader next (Raft's persistence rule).
public protocol LogStore: AnyObject {
    /// The first index held; `compactedIndex + 1`.
    var firstIndex: LogIndex { get }
    var lastIndex: LogIndex { get }
    /// The index and term of the last entry compacted away (zeros for none): the snapshot's.
    var compacted: (index: LogIndex, term: Term) { get }

    /// The entries `from...to` (clamped to what is held).
    func entries(from: LogIndex, to: LogIndex) throws -> [Entry]

    /// Appends `entries`, consecutive, the first at most `lastIndex + 1` and above
    /// `compacted.index`. An entry at an index already held replaces it and drops every entry
    /// after it (a new leader's log wins). Durable on return.
    func append(_ entries: [Entry]) throws

    /// Drops every entry up to `index`, whose term is `term` (a snapshot now covers them). The
    /// entries after `index` stay only if the store holds the entry at `index` with `term` (a
    /// snapshot of this log's own prefix); otherwise they go too (a leader's snapshot replaces
    /// a log that does not match it), and the log goes on at `index + 1`.
    func compact(through index: LogIndex, term: Term) throws
}

/// A store's input that breaks its contract, a file that does not read back, or a failed
/// system call. Every case names what failed.
public enum StoreError: Error, Equatable, CustomStringConvertible {
    /// An append that would leave a gap, go below the compacted index, or is not consecutive.
    case misuse(String)
    /// A record that fails its checksum with more data after it: not a torn write, so the log
    /// is refused rather than cut (nothing acknowledged may be lost silently).
    case corrupt(file: String, offset: Int, reason: String)
    /// A system call that failed.
    case io(path: String, reason: String)

    public var description: String {
        switch self {
        case .misuse(let what): "log store misuse: \(what)"
        case let .corrupt(file, offset, reason): "\(file): corrupt record at byte \(offset): \(reason)"
        case let .io(path, reason): "\(path): \(reason)"
        }
    }
}

extension LogStore {
    /// Checks an append against the contract (shared by every store).
    func validate(_ entries: [Entry]) throws {
        guard let first = entries.first else { return }
        guard first.index > compacted.index else {
            throw StoreError.misuse("entry \(first.index) is at or below the compacted index \(compacted.index)")
        }
        guard first.index <= lastIndex + 1 else {
            throw StoreError.misuse("entry \(first.index) would leave a gap after \(lastIndex)")
        }
        for (a, b) in zip(entries, entries.dropFirst()) where b.index != a.index + 1 {
            throw StoreError.misuse("entries \(a.index) and \(b.index) are not consecutive")
        }
    }
}

/// A log store in memory, for tests and simulations: the same contract, nothing durable.
public final class MemoryLogStore: LogStore {
    private var held: [Entry] = []
    public private(set) var compacted: (index: LogIndex, term: Term) = (.zero, .zero)

    public init() {}

    public var firstIndex: LogIndex { compacted.index + 1 }
    public var lastIndex: LogIndex { compacted.index + UInt64(held.count) }

    public func entries(from: LogIndex, to: LogIndex) throws -> [Entry] {
        let low = max(from, firstIndex), high = min(to, lastIndex)
        guard low <= high else { return [] }
        return Array(held[Int(low.rawValue - firstIndex.rawValue)...Int(high.rawValue - firstIndex.rawValue)])
    }

    public func append(_ entries: [Entry]) throws {
        try validate(entries)
        guard let first = entries.first else { return }
        held.removeLast(Int(lastIndex.rawValue + 1 - first.index.rawValue))
        held += entries
    }

    public func compact(through index: LogIndex, term: Term) throws {
        guard index > compacted.index else { return }
        if index <= lastIndex && held[Int(index.rawValue - firstIndex.rawValue)].term == term {
            held.removeFirst(Int(index.rawValue - compacted.index.rawValue))
        } else {
            held.removeAll()
        }
        compacted = (index, term)
    }
}
