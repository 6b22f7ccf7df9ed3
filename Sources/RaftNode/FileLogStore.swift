#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftCore

/// A log store on disk: a write-ahead log of segment files in one directory, each named by its
/// sequence number and the index of the first entry written to it
/// (`0000000000000001-00000000000000000001.wal`). Appends go to the newest segment and are
/// synced (`fsync`) before `append` returns; a segment past `segmentBytes` is closed and a new
/// one started (the directory synced too).
///
/// A record is a 12-byte header (payload length, CRC-32C of the payload, CRC-32C of those 8
/// bytes; little-endian) and its payload: an entry (type 1: term, index, kind, data) or a
/// compaction (type 2: index, term). Replaying the records in order rebuilds the log: an entry
/// at index i drops any entry at i or after it, a compaction drops the entries up to its index.
///
/// Recovery on open: a record cut short at the end of the newest segment (a write the crash
/// interrupted, which was never acknowledged) is cut off, and the file truncated to the last
/// whole record. A record that fails its checksum with data after it, anywhere, is corruption:
/// opening fails with the file and offset, and nothing is dropped.
public final class FileLogStore: LogStore {
    public let directory: String
    public let segmentBytes: Int
    public private(set) var compacted: (index: LogIndex, term: Term) = (.zero, .zero)

    private struct Segment {
        var sequence: UInt64
        var firstIndex: LogIndex
        var path: String
        var descriptor: Int32
        var size: Int
    }

    /// Where an entry's record is: its segment's sequence number, offset and length.
    private struct Location {
        var sequence: UInt64
        var offset: Int
        var length: Int
        /// The entry's term, for compactions to compare with.
        var term: Term
    }

    private var segments: [Segment] = []
    /// The entries `compacted.index + 1 ...`, in order.
    private var locations: [Location] = []

    static let headerBytes = 12

    /// Opens (or creates) the log in `directory`, recovering it as described above.
    public init(directory: String, segmentBytes: Int = 64 << 20) throws {
        (self.directory, self.segmentBytes) = (directory, segmentBytes)
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw DurableFile.failure("create the directory", directory) }
        var names: [(sequence: UInt64, first: LogIndex, name: String)] = []
        guard let dir = opendir(directory) else { throw DurableFile.failure("open", directory) }
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            let parts = name.split(separator: "-")
            guard name.hasSuffix(".wal"), parts.count == 2, let sequence = UInt64(parts[0], radix: 16),
                  let first = UInt64(parts[1].dropLast(4)) else { continue }
            names.append((sequence, LogIndex(first), name))
        }
        closedir(dir)
        names.sort { $0.sequence < $1.sequence }
        for (i, item) in names.enumerated() {
            try replay(item.sequence, item.first, path: "\(directory)/\(item.name)", isNewest: i == names.count - 1)
        }
        if segments.isEmpty { try startSegment(firstIndex: 1) }
    }

    deinit { for segment in segments { close(segment.descriptor) } }

    public var firstIndex: LogIndex { compacted.index + 1 }
    public var lastIndex: LogIndex { compacted.index + UInt64(locations.count) }

    public func entries(from: LogIndex, to: LogIndex) throws -> [Entry] {
        let low = max(from, firstIndex), high = min(to, lastIndex)
        guard low <= high else { return [] }
        return try (low.rawValue...high.rawValue).map { index in
            let location = locations[Int(index - firstIndex.rawValue)]
            let segment = segments.first { $0.sequence == location.sequence }!
            var record = [UInt8](repeating: 0, count: location.length)
            try record.withUnsafeMutableBytes { try DurableFile.read(segment.descriptor, into: $0, at: location.offset, path: segment.path) }
            return try record.withUnsafeBytes { raw in
                guard case .whole(let payload) = Self.parse(raw, at: 0),
                      case .entry(let entry) = try Self.decode(payload, file: segment.path, offset: location.offset) else {
                    throw StoreError.corrupt(file: segment.path, offset: location.offset, reason: "the record no longer reads back")
                }
                return entry
            }
        }
    }

    public func append(_ entries: [Entry]) throws {
        try validate(entries)
        guard let first = entries.first else { return }
        if segments[segments.count - 1].size >= segmentBytes { try startSegment(firstIndex: first.index) }
        var bytes: [UInt8] = []
        var added: [Location] = []
        let segment = segments[segments.count - 1]
        for entry in entries {
            let start = bytes.count
            Self.appendRecord(Self.payload(entry), to: &bytes)
            added.append(Location(sequence: segment.sequence, offset: segment.size + start, length: bytes.count - start, term: entry.term))
        }
        try write(bytes)
        locations.removeLast(Int(lastIndex.rawValue + 1 - first.index.rawValue))
        locations += added
    }

    public func compact(through index: LogIndex, term: Term) throws {
        guard index > compacted.index else { return }
        var bytes: [UInt8] = []
        Self.appendRecord([2] + Self.words(index.rawValue, term.rawValue), to: &bytes)
        try write(bytes)
        apply(compaction: index, term: term)
        // A segment holds no live entry once the next one starts at or below `index + 1`.
        var removed = false
        while segments.count > 1 && segments[1].firstIndex <= index + 1 {
            close(segments[0].descriptor)
            guard unlink(segments[0].path) == 0 else { throw DurableFile.failure("remove", segments[0].path) }
            segments.removeFirst()
            removed = true
        }
        if removed { try syncDirectory() }
    }

    // MARK: Writing

    private func write(_ bytes: [UInt8]) throws {
        let i = segments.count - 1
        try bytes.withUnsafeBytes { try DurableFile.write(segments[i].descriptor, $0, at: segments[i].size, path: segments[i].path) }
        guard fsync(segments[i].descriptor) == 0 else { throw DurableFile.failure("sync", segments[i].path) }
        segments[i].size += bytes.count
    }

    private func startSegment(firstIndex: LogIndex) throws {
        let sequence = (segments.last?.sequence ?? 0) + 1
        let hex = String(sequence, radix: 16), decimal = String(firstIndex.rawValue)
        let name = String(repeating: "0", count: 16 - hex.count) + hex + "-" + String(repeating: "0", count: 20 - decimal.count) + decimal + ".wal"
        let path = "\(directory)/\(name)"
        let descriptor = open(path, O_RDWR | O_CREAT | O_EXCL, 0o644)
        guard descriptor >= 0 else { throw DurableFile.failure("create", path) }
        segments.append(Segment(sequence: sequence, firstIndex: firstIndex, path: path, descriptor: descriptor, size: 0))
        try syncDirectory()
    }

    private func syncDirectory() throws {
        let descriptor = open(directory, O_RDONLY)
        guard descriptor >= 0 else { throw DurableFile.failure("open", directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw DurableFile.failure("sync", directory) }
    }

    // MARK: Recovery

    private func replay(_ sequence: UInt64, _ firstIndex: LogIndex, path: String, isNewest: Bool) throws {
        let descriptor = open(path, O_RDWR)
        guard descriptor >= 0 else { throw DurableFile.failure("open", path) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw DurableFile.failure("read", path) }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        try bytes.withUnsafeMutableBytes { try DurableFile.read(descriptor, into: $0, at: 0, path: path) }
        var offset = 0
        try bytes.withUnsafeBytes { raw in
            while offset < raw.count {
                switch Self.parse(raw, at: offset) {
                case .whole(let payload):
                    switch try Self.decode(payload, file: path, offset: offset) {
                    case .entry(let entry):
                        try apply(entry, at: Location(sequence: sequence, offset: offset, length: Self.headerBytes + payload.count, term: entry.term), file: path)
                    case let .compaction(index, term):
                        apply(compaction: index, term: term)
                    }
                    offset += Self.headerBytes + payload.count
                case .torn where isNewest:
                    // An interrupted write: never synced, never acknowledged.
                    guard ftruncate(descriptor, off_t(offset)) == 0, fsync(descriptor) == 0 else { throw DurableFile.failure("truncate", path) }
                    return
                case .torn:
                    throw StoreError.corrupt(file: path, offset: offset, reason: "cut short in a segment that is not the newest")
                case .corrupt(let reason):
                    throw StoreError.corrupt(file: path, offset: offset, reason: reason)
                }
            }
        }
        segments.append(Segment(sequence: sequence, firstIndex: firstIndex, path: path, descriptor: descriptor,
                                size: min(offset, bytes.count)))
    }

    /// Replays an entry record: it replaces the entry at its index and drops those after.
    private func apply(_ entry: Entry, at location: Location, file: String) throws {
        if locations.isEmpty && entry.index > firstIndex && compacted.index == .zero && segments.isEmpty {
            // The first record of a log whose older segments were compacted away before a
            // compaction record was replayed: the log starts here for now.
            compacted = (entry.index - 1, .zero)
        }
        guard entry.index > compacted.index, entry.index <= lastIndex + 1 else {
            throw StoreError.corrupt(file: file, offset: location.offset,
                                        reason: "entry \(entry.index) does not follow the log (\(firstIndex)...\(lastIndex))")
        }
        locations.removeLast(Int(lastIndex.rawValue + 1 - entry.index.rawValue))
        locations.append(location)
    }

    /// Replays a compaction; an older one than the log's start (replayed from a segment that
    /// outlived the segments before it) changes nothing.
    private func apply(compaction index: LogIndex, term: Term) {
        guard index > compacted.index else { return }
        if index <= lastIndex && locations[Int(index.rawValue - firstIndex.rawValue)].term == term {
            locations.removeFirst(Int(index.rawValue - compacted.index.rawValue))
        } else {
            locations.removeAll()
        }
        compacted = (index, term)
    }

    // MARK: Records

    private enum Parsed {
        case whole(UnsafeRawBufferPointer)
        /// Cut short at the end of the file (or zeros to its end): an interrupted write.
        case torn
        case corrupt(String)
    }

    private enum Payload {
        case entry(Entry)
        case compaction(LogIndex, Term)
    }

    private static func parse(_ raw: UnsafeRawBufferPointer, at offset: Int) -> Parsed {
        let left = raw.count - offset
        guard left >= headerBytes else { return .torn }
        let header = UnsafeRawBufferPointer(rebasing: raw[offset..<offset + headerBytes])
        let length = Int(UInt32(littleEndian: header.loadUnaligned(as: UInt32.self)))
        let payloadCRC = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 4, as: UInt32.self))
        let headerCRC = UInt32(littleEndian: header.loadUnaligned(fromByteOffset: 8, as: UInt32.self))
        guard CRC32C.checksum(UnsafeRawBufferPointer(rebasing: header[0..<8])) == headerCRC else {
            return raw[offset...].allSatisfy({ $0 == 0 }) ? .torn : .corrupt("header checksum mismatch")
        }
        guard length <= left - headerBytes else { return .torn }
        let payload = UnsafeRawBufferPointer(rebasing: raw[offset + headerBytes..<offset + headerBytes + length])
        guard CRC32C.checksum(payload) == payloadCRC else {
            return offset + headerBytes + length == raw.count ? .torn : .corrupt("payload checksum mismatch")
        }
        return .whole(payload)
    }

    private static func decode(_ payload: UnsafeRawBufferPointer, file: String, offset: Int) throws -> Payload {
        func word(_ i: Int) -> UInt64 { UInt64(littleEndian: payload.loadUnaligned(fromByteOffset: 1 + 8 * i, as: UInt64.self)) }
        switch payload.first {
        case 1 where payload.count >= 18:
            guard let kind = Entry.Kind(rawValue: payload[17]) else { break }
            return .entry(Entry(term: Term(word(0)), index: LogIndex(word(1)), kind: kind, data: Array(payload[18...])))
        case 2 where payload.count == 17:
            return .compaction(LogIndex(word(0)), Term(word(1)))
        default:
            break
        }
        throw StoreError.corrupt(file: file, offset: offset, reason: "a record of no known type")
    }

    private static func payload(_ entry: Entry) -> [UInt8] {
        [1] + words(entry.term.rawValue, entry.index.rawValue) + [entry.kind.rawValue] + entry.data
    }

    private static func words(_ values: UInt64...) -> [UInt8] {
        values.flatMap { value in (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
    }

    private static func appendRecord(_ payload: [UInt8], to bytes: inout [UInt8]) {
        let payloadCRC = payload.withUnsafeBytes { CRC32C.checksum($0) }
        var header = [UInt32(payload.count), payloadCRC].flatMap { value in (0..<4).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }
        let headerCRC = header.withUnsafeBytes { CRC32C.checksum($0) }
        header += (0..<4).map { UInt8(truncatingIfNeeded: headerCRC >> (8 * $0)) }
        bytes += header + payload
    }
}
