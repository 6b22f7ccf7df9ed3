#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import RaftCore

/// Where a node keeps its hard state (term, vote, commit) durably: hashicorp/raft's
/// `StableStore`, for the one record Raft needs. `save` returns only once it is durable, since
/// a vote may be sent next.
public protocol StableStore: AnyObject {
    var hardState: HardState { get }
    func save(_ hardState: HardState) throws
}

/// A stable store in memory, for tests.
public final class MemoryStableStore: StableStore {
    public private(set) var hardState = HardState()
    public init() {}
    public func save(_ hardState: HardState) throws { self.hardState = hardState }
}

/// The hard state in one file, `DIR/hardstate`, replaced atomically on every save
/// (`DurableFile`): a crash leaves the old state or the new one. A missing file is a new node's
/// empty state; a damaged one is refused on open, naming the file.
public final class FileStableStore: StableStore {
    public let path: String
    public private(set) var hardState: HardState

    /// The file kind's tag, first in the file.
    private static let magic: UInt64 = 0x3130_4554_5354_4452

    public init(directory: String) throws {
        path = "\(directory)/hardstate"
        if mkdir(directory, 0o755) != 0 && errno != EEXIST { throw DurableFile.failure("create the directory", directory) }
        guard let bytes = try DurableFile.read(path) else {
            hardState = HardState()
            return
        }
        var reader = FieldReader(bytes: bytes, path: path)
        guard try reader.word() == Self.magic else { throw StoreError.corrupt(file: path, offset: 0, reason: "not a hard state file") }
        hardState = HardState(term: Term(try reader.word()), vote: NodeID(try reader.word()), commit: LogIndex(try reader.word()))
    }

    public func save(_ hardState: HardState) throws {
        var writer = FieldWriter()
        writer.word(Self.magic)
        writer.word(hardState.term.rawValue)
        writer.word(hardState.vote.rawValue)
        writer.word(hardState.commit.rawValue)
        try DurableFile.write(writer.bytes, to: path)
        self.hardState = hardState
    }
}
