/// Bad input: a usage mistake, or a file that cannot be read or does not parse. Always names the
/// file, and where known the line, column and field. Exit code 2.
struct InputError: Error, CustomStringConvertible {
    var file: String
    var line: Int?
    var column: Int?
    var field: String?
    var message: String

    var description: String {
        var location = file
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return field.map { "\(location): \($0): \(message)" } ?? "\(location): \(message)"
    }
}
