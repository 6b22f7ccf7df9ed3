#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftCore

/// Where a node keeps its snapshots durably (hashicorp/raft's `SnapshotStore`): `save` returns
/// once the snapshot is durable; `latest` is the newest one saved.
public protocol SnapshotStore: AnyObject {
    func save(_ snapshot: Snapshot) throws
    func latest() throws -> Snapshot?
}

/// A snapshot store in memory, for tests.
public final class MemorySnapshotStore: SnapshotStore {
    private var newest: Snapshot?
    public init() {}
    public func save(_ snapshot: Snapshot) throws { newest = snapshot }
    public func latest() throws -> Snapshot? { newest }
}

/// Snapshots as files in a directory, `<term>-<index>.snap` (20 digits each, so names sort by
/// term, then index), each written atomically with its checksum (`DurableFile`). It keeps the
/// newest `retain` and deletes older ones after a save. Opening checks every file's checksum:
/// a damaged snapshot is refused with its file name rather than skipped, since the log before
/// the newest snapshot may already be compacted away.
public final class FileSnapshotStore: SnapshotStore {
    public let directory: String
    public let retain: Int
    private var names: [String] = []

    /// The file kind's tag, first in the file.
    /// The file kind's tag, first in the file.
    private static let magic: UInt64 = 0x3130_5041_4E53_4452

    public init(directory: String, retain: Int = 2) throws {
        precondition(retain >= 1, "keep at least one snapshot")
        (self.directory, self.retain) = (directory, retain)
        names = try Self.snapshotNames(in: directory)
        for name in names { _ = try load(name) }
    }

    public func save(_ snapshot: Snapshot) throws {
        let name = Self.name(term: snapshot.metadata.term, index: snapshot.metadata.index)
        var writer = FieldWriter()
        writer.word(Self.magic)
        writer.word(snapshot.metadata.index.rawValue)
        writer.word(snapshot.metadata.term.rawValue)
        let conf = snapshot.metadata.confState
        for list in [conf.voters, conf.learners, conf.votersOutgoing, conf.learnersNext] { writer.list(list.map(\.rawValue)) }
        writer.word(conf.autoLeave ? 1 : 0)
        writer.data(snapshot.data)
        try DurableFile.write(writer.bytes, to: "\(directory)/\(name)")
        names = (names.filter { $0 != name } + [name]).sorted()
        while names.count > retain {
            guard unlink("\(directory)/\(names[0])") == 0 else { throw DurableFile.failure("remove", "\(directory)/\(names[0])") }
            names.removeFirst()
        }
        try DurableFile.syncDirectory(of: "\(directory)/\(name)")
    }

    public func latest() throws -> Snapshot? {
        guard let name = names.last else { return nil }
        return try load(name)
    }

    private func load(_ name: String) throws -> Snapshot {
        let path = "\(directory)/\(name)"
        guard let bytes = try DurableFile.read(path) else { throw DurableFile.failure("open", path) }
        var reader = FieldReader(bytes: bytes, path: path)
        guard try reader.word() == Self.magic else { throw StoreError.corrupt(file: path, offset: 0, reason: "not a snapshot file") }
        let index = LogIndex(try reader.word()), term = Term(try reader.word())
        let lists = try (0..<4).map { _ in try reader.list().map { NodeID($0) } }
        let conf = ConfState(voters: lists[0], learners: lists[1], votersOutgoing: lists[2], learnersNext: lists[3],
                             autoLeave: try reader.word() != 0)
        let data = try reader.data()
        guard reader.offset == bytes.count else { throw StoreError.corrupt(file: path, offset: reader.offset, reason: "bytes after the snapshot") }
        return Snapshot(metadata: SnapshotMetadata(index: index, term: term, confState: conf), data: data)
    }

    private static func name(term: Term, index: LogIndex) -> String {
        func padded(_ value: UInt64) -> String { let s = String(value); return String(repeating: "0", count: 20 - s.count) + s }
        return "\(padded(term.rawValue))-\(padded(index.rawValue)).snap"
    }

    private static func snapshotNames(in directory: String) throws -> [String] {
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw DurableFile.failure("create the directory", directory) }
        guard let dir = opendir(directory) else { throw DurableFile.failure("open", directory) }
        defer { closedir(dir) }
        var names: [String] = []
        while let item = readdir(dir) {
            let name = withUnsafeBytes(of: item.pointee.d_name) { String(decoding: $0.prefix { $0 != 0 }, as: UTF8.self) }
            if name.hasSuffix(".snap") && name.count == 46 { names.append(name) }
        }
        return names.sorted()
    }
}
