#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A small file replaced whole and atomically: written to `path.tmp`, synced, renamed over
/// `path`, and the directory synced, so after a crash the file is the old one or the new one,
/// never a mix. The bytes end with a CRC-32C of everything before them, checked on every read.
enum DurableFile {
    static func write(_ bytes: [UInt8], to path: String) throws {
        var sealed = bytes
        let crc = bytes.withUnsafeBytes { CRC32C.checksum($0) }
        sealed += (0..<4).map { UInt8(truncatingIfNeeded: crc >> (8 * $0)) }
        let temporary = path + ".tmp"
        let descriptor = open(temporary, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        guard descriptor >= 0 else { throw failure("create", temporary) }
        defer { close(descriptor) }
        try sealed.withUnsafeBytes { try write(descriptor, $0, at: 0, path: temporary) }
        guard fsync(descriptor) == 0 else { throw failure("sync", temporary) }
        guard rename(temporary, path) == 0 else { throw failure("rename \(temporary) to", path) }
        try syncDirectory(of: path)
    }

    /// The file's bytes without the checksum; nil if there is no file.
    static func read(_ path: String) throws -> [UInt8]? {
        let descriptor = open(path, O_RDONLY)
        if descriptor < 0 && errno == ENOENT { return nil }
        guard descriptor >= 0 else { throw failure("open", path) }
        defer { close(descriptor) }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw failure("read", path) }
        var bytes = [UInt8](repeating: 0, count: Int(status.st_size))
        try bytes.withUnsafeMutableBytes { try read(descriptor, into: $0, at: 0, path: path) }
        guard bytes.count >= 4 else { throw StoreError.corrupt(file: path, offset: 0, reason: "shorter than its checksum") }
        let body = Array(bytes.dropLast(4))
        let stored = bytes.suffix(4).enumerated().reduce(UInt32(0)) { $0 | UInt32($1.element) << (8 * UInt32($1.offset)) }
        guard body.withUnsafeBytes({ CRC32C.checksum($0) }) == stored else {
            throw StoreError.corrupt(file: path, offset: 0, reason: "checksum mismatch")
        }
        return body
    }

    static func syncDirectory(of path: String) throws {
        let directory = path.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
        let descriptor = open(directory.isEmpty ? "." : directory, O_RDONLY)
        guard descriptor >= 0 else { throw failure("open", directory) }
        defer { close(descriptor) }
        guard fsync(descriptor) == 0 else { throw failure("sync", directory) }
    }

    static func failure(_ what: String, _ path: String) -> StoreError {
        .io(path: path, reason: "cannot \(what): \(String(cString: strerror(errno)))")
    }

    /// Writes all of `bytes` at `offset`, across short writes and interrupts.
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        try transfer(bytes.count, "write", path) { done in pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
    }

    /// Fills `bytes` from `offset`; reaching the end of the file first is an error.
    static func read(_ descriptor: Int32, into bytes: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws {
        try transfer(bytes.count, "read", path) { done in pread(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done)) }
    }

    private static func transfer(_ count: Int, _ what: String, _ path: String, _ call: (Int) -> Int) throws {
        var done = 0
        while done < count {
            let n = call(done)
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw failure(what, path) }
            done += n
        }
    }
}

/// Little-endian fields in and out of the stores' files.
struct FieldWriter {
    var bytes: [UInt8] = []

    mutating func word(_ value: UInt64) { bytes += (0..<8).map { UInt8(truncatingIfNeeded: value >> (8 * $0)) } }

    mutating func list(_ values: [UInt64]) {
        word(UInt64(values.count))
        for value in values { word(value) }
    }

    mutating func data(_ data: [UInt8]) {
        word(UInt64(data.count))
        bytes += data
    }
}

struct FieldReader {
    let bytes: [UInt8]
    let path: String
    var offset = 0

    mutating func word() throws -> UInt64 {
        guard offset + 8 <= bytes.count else { throw StoreError.corrupt(file: path, offset: offset, reason: "cut short") }
        defer { offset += 8 }
        return (0..<8).reduce(UInt64(0)) { $0 | UInt64(bytes[offset + $1]) << (8 * UInt64($1)) }
    }

    mutating func list() throws -> [UInt64] {
        let count = try word()
        guard count <= UInt64(bytes.count - offset) / 8 else { throw StoreError.corrupt(file: path, offset: offset, reason: "a list past the end") }
        return try (0..<count).map { _ in try word() }
    }

    mutating func data() throws -> [UInt8] {
        let count = try word()
        guard count <= UInt64(bytes.count - offset) else { throw StoreError.corrupt(file: path, offset: offset, reason: "data past the end") }
        defer { offset += Int(count) }
        return Array(bytes[offset..<offset + Int(count)])
    }
}
