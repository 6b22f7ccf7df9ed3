/// Bad input: a usage mistake, or a file that cannot be read or does not parse. Always names the
/// file, and where known the line, column and field. Exit code 2.
public struct InputError: Error, CustomStringConvertible {
    public var file: String
    public var line: Int?
    public var column: Int?
    public var field: String?
    public var message: String

    public init(file: String, line: Int? = nil, column: Int? = nil, field: String? = nil, message: String) {
        (self.file, self.line, self.column, self.field, self.message) = (file, line, column, field, message)
    }

    /// One line for a terminal: what came from the input (the file name, a key, a quoted value)
    /// is cut to `maxPart` characters and its control characters are shown as `?`.
    public var description: String {
        var location = Self.printable(file)
        if let line { location += ":\(line)" }
        if let column { location += ":\(column)" }
        return field.map { "\(location): \(Self.printable($0)): \(Self.printable(message))" } ?? "\(location): \(Self.printable(message))"
    }

    public static let maxPart = 400

    public static func printable(_ text: String) -> String {
        var shown = String(String.UnicodeScalarView(text.unicodeScalars.prefix(maxPart).map {
            $0.properties.generalCategory == .control ? "?" : $0
        }))
        if text.unicodeScalars.count > maxPart { shown += "…" }
        return shown
    }
}
