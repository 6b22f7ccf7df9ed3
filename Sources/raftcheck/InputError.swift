/// Bad input: a usage mistake, or a file that cannot be read or does not parse. Always names the
/// file, and where known the line, column and field. Exit code 2.
struct InputError: Error, CustomStringConvertible {
    var file: String
    var line: Int?
    var column: Int?
    var field: String?
    var message: String

    /// One line for a terminal: what came from the input (the file name, a key, a quoted value)
    /// is cut to `maxPart` characters and its control characters are shown as `?`.
    var description: String {
        var location = Self.printable(file)
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return field.map { "\(location): \(Self.printable($0)): \(Self.printable(message))" } ?? "\(location): \(Self.printable(message))"
    }

    static let maxPart = 400

    static func printable(_ text: String) -> String {
        var shown = String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxPart).map {
            $0.properties.generalCategory == .control ? "?" : $0
        }))
        if text.unicodeScalars.count > maxPart { shown += "…" }
        return shown
    }
}
