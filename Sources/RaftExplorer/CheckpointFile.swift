import CXXHash
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The file a BFS checkpoint lives in: `DIR/checkpoint`, a sequence of sections, each its byte
/// length and XXH3-64 (8 bytes each, little-endian) then its bytes. It is written whole as
/// `DIR/checkpoint.tmp`, synced, renamed over the old one and the directory synced, so a kill
/// at any moment leaves the last complete checkpoint in place.
struct CheckpointWriter {
    static let name = "checkpoint"
    private let descriptor: Int32
    private let directory: String
    private let path: String
    private var offset = 0

    init(directory: String) throws {
        self.directory = directory
        path = "\(directory)/\(Self.name).tmp"
        mkdir(directory, 0o755)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw FileFailure("create", path) }
        self.descriptor = descriptor
    }

    mutating func section(_ bytes: UnsafeRawBufferPointer) throws {
        let head = [UInt64(bytes.count).littleEndian, XXH3_64bits(bytes.baseAddress, bytes.count).littleEndian]
        try head.withUnsafeBytes { raw in try FileIO.write(descriptor, raw, at: offset, path: path) }
        if bytes.count > 0 { try FileIO.write(descriptor, bytes, at: offset + 16, path: path) }
        offset += 16 + bytes.count
    }

    mutating func section<T>(_ values: [T]) throws {
        try values.withUnsafeBytes { raw in try section(raw) }
    }

    /// Makes the file the checkpoint.
    consuming func commit() throws {
        guard fsync(descriptor) == 0 else { throw FileFailure("sync", path) }
        close(descriptor)
        let final = "\(directory)/\(Self.name)"
        guard rename(path, final) == 0 else { throw FileFailure("rename \(path) to", final) }
        let directoryDescriptor = open(directory, O_RDONLY)
        guard directoryDescriptor >= 0 else { throw FileFailure("open", directory) }
        defer { close(directoryDescriptor) }
        guard fsync(directoryDescriptor) == 0 else { throw FileFailure("sync", directory) }
    }
}

/// Reads a checkpoint's sections in order, each checked against its length and hash.
struct CheckpointReader: ~Copyable {
    private let descriptor: Int32
    let path: String
    private let size: Int
    private var offset = 0
    private var index = 0

    init(directory: String) throws {
        path = "\(directory)/\(CheckpointWriter.name)"
        let descriptor = open(path, O_RDONLY)
        guard descriptor >= 0 else { throw FileFailure("open the checkpoint", path) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw FileFailure("read", path) }
        (self.descriptor, size) = (descriptor, Int(status.st_size))
    }

    deinit { close(descriptor) }

    private func damaged(_ why: String) -> FileFailure {
        FileFailure(description: "\(path): section \(index) \(why): the checkpoint is damaged")
    }

    /// The next section into `bytes`, which must be its exact size.
    mutating func section(into bytes: UnsafeMutableRawBufferPointer) throws {
        guard offset + 16 <= size else { throw damaged("is missing") }
        var head: (UInt64, UInt64) = (0, 0)
        try withUnsafeMutableBytes(of: &head) { raw in try FileIO.read(descriptor, into: raw, at: offset, path: path) }
        let (length, hash) = (Int(UInt64(littleEndian: head.0)), UInt64(littleEndian: head.1))
        guard length == bytes.count, offset + 16 + length <= size else { throw damaged("has \(length) bytes where \(bytes.count) belong") }
        if length > 0 { try FileIO.read(descriptor, into: bytes, at: offset + 16, path: path) }
        guard XXH3_64bits(bytes.baseAddress, length) == hash else { throw damaged("fails its checksum") }
        offset += 16 + length
        index += 1
    }

    /// The next section as `count` values of `T`.
    mutating func section<T>(count: Int, of _: T.Type) throws -> [T] {
        var failure: (any Error)?
        let values = [T](unsafeUninitializedCapacity: count) { buffer, initialized in
            do {
                try section(into: UnsafeMutableRawBufferPointer(buffer))
                initialized = count
            } catch { failure = error }
        }
        if let failure { throw failure }
        return values
    }

    /// The next section, whatever its length (at most the bytes left).
    mutating func section() throws -> [UInt8] {
        guard offset + 16 <= size else { throw damaged("is missing") }
        var length: UInt64 = 0
        try withUnsafeMutableBytes(of: &length) { raw in try FileIO.read(descriptor, into: raw, at: offset, path: path) }
        let count = Int(UInt64(littleEndian: length))
        guard count <= size - offset - 16 else { throw damaged("runs past the end") }
        return try section(count: count, of: UInt8.self)
    }

    var isAtEnd: Bool { offset == size }
}
