#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A file operation of the search that failed (spilling, checkpointing), naming the path.
public struct FileFailure: Error, CustomStringConvertible {
    public var description: String

    /// A failed system call: what it was, the path and the system's reason (`errno`).
    init(_ what: String, _ path: String) {
        description = "cannot \(what) \(path): \(String(cString: strerror(errno)))"
    }

    init(description: String) { self.description = description }
}

/// A temporary file for blocks that do not fit in memory: appended at its end, read back by
/// offset. Unlinked as soon as it is made, so it vanishes with the process however it ends.
final class SpillFile {
    private let descriptor: Int32
    private let path: String
    private var end = 0

    init(directory: String) throws {
        var template = Array("\(directory)/raftcheck-spill-XXXXXX".utf8CString)
        let descriptor = template.withUnsafeMutableBufferPointer { mkstemp($0.baseAddress!) }
        path = template.withUnsafeBufferPointer { String(cString: $0.baseAddress!) }
        guard descriptor >= 0 else { throw FileFailure("create a spill file like", path) }
        unlink(path)
        self.descriptor = descriptor
    }

    deinit { close(descriptor) }

    /// Writes `bytes` at the end; returns where they start.
    func append(_ bytes: [UInt8]) throws -> Int {
        let offset = end
        try bytes.withUnsafeBytes { raw in try FileIO.write(descriptor, raw, at: offset, path: path) }
        end += bytes.count
        return offset
    }

    func read(at offset: Int, count: Int) throws -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        try bytes.withUnsafeMutableBytes { raw in try FileIO.read(descriptor, into: raw, at: offset, path: path) }
        return bytes
    }
}

/// Whole reads and writes at an offset, retried across short transfers and interrupts.
enum FileIO {
    static func write(_ descriptor: Int32, _ bytes: UnsafeRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pwrite(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else { throw FileFailure("write", path) }
            done += n
        }
    }

    static func read(_ descriptor: Int32, into bytes: UnsafeMutableRawBufferPointer, at offset: Int, path: String) throws {
        var done = 0
        while done < bytes.count {
            let n = pread(descriptor, bytes.baseAddress! + done, bytes.count - done, off_t(offset + done))
            if n < 0 && errno == EINTR { continue }
            guard n > 0 else {
                if n == 0 { errno = EIO }
                throw FileFailure("read", path)
            }
            done += n
        }
    }
}
