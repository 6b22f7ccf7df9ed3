import Foundation

/// Every file the tool writes (traces, stats, JUnit, campaign state) goes through here.
/// A regular file (or a new one) is replaced atomically: the data goes to a temporary file
/// beside it, renamed into place, so a killed process never leaves half a file; the temporary
/// file is removed if anything fails. Anything else that exists (a device, a FIFO, a terminal:
/// `/dev/stdout`) is written in place and never replaced. A directory is refused.
public func writeOutput(_ data: Data, to path: String, what: String) throws(InputError) {
    var info = stat()
    if stat(path, &info) == 0 {
        switch info.st_mode & S_IFMT {
        case S_IFREG: break
        case S_IFDIR: throw InputError(file: path, message: "cannot write the \(what): it is a directory")
        default:
            guard let handle = FileHandle(forWritingAtPath: path) else {
                throw InputError(file: path, message: "cannot write the \(what): \(String(cString: strerror(errno)))")
            }
            defer { try? handle.close() }
            do { try handle.write(contentsOf: data) } catch {
                throw InputError(file: path, message: "cannot write the \(what): \(error.localizedDescription)")
            }
            return
        }
    }
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent()
    let temporary = directory.appendingPathComponent(".\(url.lastPathComponent).\(ProcessInfo.processInfo.processIdentifier).tmp")
    do {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try data.write(to: temporary)
    } catch {
        try? FileManager.default.removeItem(at: temporary)
        throw InputError(file: path, message: "cannot write the \(what): \(error.localizedDescription)")
    }
    guard rename(temporary.path, url.path) == 0 else {
        let reason = String(cString: strerror(errno))
        try? FileManager.default.removeItem(at: temporary)
        throw InputError(file: path, message: "cannot write the \(what): \(reason)")
    }
}

/// Writes `value` as JSON (snake_case keys, sorted, indented, a final newline) through
/// `writeOutput`: traces, stats and campaign files all look alike.
public func writeJSON<T: Encodable>(_ value: T, to path: String, what: String) throws(InputError) {
    var data: Data
    do { data = try encodeJSON(value) } catch {
        throw InputError(file: path, message: "cannot encode the \(what): \(error.localizedDescription)")
    }
    data.append(0x0A)
    try writeOutput(data, to: path, what: what)
}

/// `value` as the tool's JSON: snake_case keys, sorted; indented unless `compact`.
public func encodeJSON<T: Encodable>(_ value: T, compact: Bool = false) throws -> Data {
    let encoder = JSONEncoder()
    encoder.keyEncodingStrategy = .convertToSnakeCase
    encoder.outputFormatting = compact ? [.sortedKeys] : [.prettyPrinted, .sortedKeys]
    return try encoder.encode(value)
}
