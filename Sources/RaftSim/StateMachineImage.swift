import RaftCore

/// The application's state machine as a snapshot carries it (`Snapshot.data`): the applied
/// entries in order, each as term and index (8 bytes each, little-endian), kind (1 byte), data
/// length (2 bytes) and data. A node that installs a snapshot, or restarts from one, rebuilds
/// its state machine from these bytes alone.
enum StateMachineImage {
    static func encode(_ entries: [Entry]) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(entries.reduce(0) { $0 + 19 + $1.data.count })
        func word(_ value: UInt64, _ width: Int) {
            for b in 0..<width { bytes.append(UInt8(truncatingIfNeeded: value >> (8 * UInt64(b)))) }
        }
        for entry in entries {
            word(entry.term.rawValue, 8)
            word(entry.index.rawValue, 8)
            bytes.append(entry.kind.rawValue)
            word(UInt64(entry.data.count), 2)
            bytes += entry.data
        }
        return bytes
    }

    /// The entries in `bytes`; nil if they are not an image `encode` wrote.
    static func decode(_ bytes: [UInt8]) -> [Entry]? {
        var entries: [Entry] = []
        var at = 0
        func word(_ width: Int) -> UInt64? {
            guard at + width <= bytes.count else { return nil }
            defer { at += width }
            return (0..<width).reduce(UInt64(0)) { $0 | UInt64(bytes[at + $1]) << (8 * UInt64($1)) }
        }
        while at < bytes.count {
            guard let term = word(8), let index = word(8), let rawKind = word(1), let kind = Entry.Kind(rawValue: UInt8(rawKind)),
                  let count = word(2), at + Int(count) <= bytes.count else { return nil }
            entries.append(Entry(term: Term(term), index: LogIndex(index), kind: kind, data: Array(bytes[at..<at + Int(count)])))
            at += Int(count)
        }
        return entries
    }
}
