/// Why a storage read failed.
public enum StorageError: Error, Hashable, Sendable {
    /// The index is below the first available index: compacted into a snapshot.
    case compacted
    /// The index is above the last index.
    case unavailable
    /// The snapshot is being produced; ask again later.
    case snapshotTemporarilyUnavailable
}

/// The durable part of a node: what survives a crash. RaftCore only reads it; the application
/// writes to its concrete type what each `Ready` says to persist, before `advance`.
///
/// Contract: `firstIndex - 1` is the index of the latest snapshot (or 0) and its term is
/// readable through `term(at:)`; `entries` and `term(at:)` answer for every index in
/// `[firstIndex - 1, lastIndex]` and throw `.compacted` below it and `.unavailable` above it.
public protocol Storage {
    /// The persisted hard state and the configuration of the latest snapshot.
    func initialState() -> (HardState, ConfState)
    /// The entries in `[low, high)`, cut after the first one once their payload passes `maxSize`.
    func entries(from low: LogIndex, to high: LogIndex, maxSize: UInt64) throws(StorageError) -> [Entry]
    /// The term of the entry at `index`.
    func term(at index: LogIndex) throws(StorageError) -> Term
    /// The first index still held as an entry (the snapshot's index + 1).
    var firstIndex: LogIndex { get }
    /// The last index held.
    var lastIndex: LogIndex { get }
    /// The latest snapshot.
    func snapshot() throws(StorageError) -> Snapshot
}
