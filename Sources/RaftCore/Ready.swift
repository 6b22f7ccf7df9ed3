/// Everything a node needs the application to do, in this order:
///
/// 1. send `messages` (they may go out before anything is persisted);
/// 2. persist `snapshot`, `entries` and `hardState` (durably, if `mustSync`);
/// 3. only then send `messagesAfterPersist`;
/// 4. apply `snapshot` and `committedEntries` to the state machine (calling
///    `RawNode.applyConfChange` for each `.confChange` entry), then serve `readStates`;
/// 5. call `RawNode.advance(_:)` with this Ready.
///
/// A crash may fall between any two steps: what was not persisted is lost, and the node
/// restarts from its storage.
public struct Ready: Hashable, Sendable {
    /// The leader and role, if they changed since the last Ready.
    public var softState: SoftState?
    /// The hard state to persist, if it changed since the last Ready.
    public var hardState: HardState?
    /// Entries to append to storage (overwriting any stored entries from the first one's index).
    public var entries: [Entry] = []
    /// A snapshot to persist and restore the state machine from.
    public var snapshot: Snapshot?
    /// Committed entries to apply, in order. They may include `entries` of this same Ready,
    /// which is why persisting comes before applying.
    public var committedEntries: [Entry] = []
    /// Messages that may be sent at once.
    public var messages: [Message] = []
    /// Reads confirmed by ReadIndex or the lease: serve each once `committedEntries` up to its
    /// index are applied.
    public var readStates: [ReadState] = []
    /// Messages that MUST NOT be sent before `entries` and `hardState` are durable: vote and
    /// append responses (rule 1).
    public var messagesAfterPersist: [Message] = []
    /// The node's acknowledgements to itself (its vote, its own append), stepped by `advance`,
    /// that is, once durable (rule 2).
    public internal(set) var selfMessages: [Message] = []
    /// Whether the writes must be synced: term, vote or entries changed.
    public var mustSync = false

    public init() {}
}
