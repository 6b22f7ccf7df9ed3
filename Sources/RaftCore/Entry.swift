/// One log entry. Invariant: within a log, indexes are consecutive and terms never decrease.
public struct Entry: Hashable, Sendable, Codable {
    public enum Kind: UInt8, Hashable, Sendable {
        /// Application data (empty data: the no-op a new leader appends).
        case normal
        /// A membership change; `data` is an encoded `ConfChange` (RaftCore II).
        case confChange
    }

    public var term: Term
    public var index: LogIndex
    public var kind: Kind
    public var data: [UInt8]

    @inlinable
    public init(term: Term, index: LogIndex, kind: Kind = .normal, data: [UInt8] = []) {
        self.term = term
        self.index = index
        self.kind = kind
        self.data = data
    }

    /// The bytes this entry counts against size limits (`maxSizePerMessage`).
    @inlinable public var payloadSize: UInt64 { UInt64(data.count) }
}

extension Array where Element == Entry {
    @inlinable var payloadSize: UInt64 { reduce(0) { $0 + $1.payloadSize } }
}

/// Keeps a prefix of `entries` whose payload fits in `maxSize`, but never fewer than one entry.
@inlinable
func limitSize(_ entries: [Entry], _ maxSize: UInt64) -> [Entry] {
    guard entries.count > 1, maxSize != .max else { return entries }
    var size = entries[0].payloadSize
    var count = 1
    while count < entries.count {
        size += entries[count].payloadSize
        if size > maxSize { break }
        count += 1
    }
    return count == entries.count ? entries : Array(entries[..<count])
}
