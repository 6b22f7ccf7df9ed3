import Foundation

/// One block of a cockroachdb/datadriven test file: `command key=value key=(a, b)`, input
/// lines, `----`, expected output lines.
struct DataDrivenBlock {
    var file: String
    var line: Int
    var command: String
    var arguments: [(key: String, values: [String])]
    var input: [String]
    var expected: [String]

    func values(_ key: String) -> [String]? { arguments.first { $0.key == key }?.values }

    var location: String { "\(file):\(line)" }
}

enum DataDriven {
    struct ParseError: Error, CustomStringConvertible {
        var location: String
        var reason: String
        var description: String { "\(location): \(reason)" }
    }

    /// Parses a whole file. Output ends at the first blank line, or, after a doubled `----`,
    /// at the next doubled `----`.
    static func parse(_ text: String, file: String) throws -> [DataDrivenBlock] {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var blocks: [DataDrivenBlock] = []
        var i = 0
        while i < lines.count {
            let line = lines[i].trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") {
                i += 1
                continue
            }
            let start = i + 1
            let (command, arguments) = try parseCommand(line, location: "\(file):\(start)")
            i += 1
            var input: [String] = []
            while i < lines.count && lines[i] != "----" {
                input.append(lines[i])
                i += 1
            }
            guard i < lines.count else { throw ParseError(location: "\(file):\(start)", reason: "no ---- after the command") }
            i += 1
            var expected: [String] = []
            if i < lines.count && lines[i] == "----" {
                i += 1
                while i + 1 < lines.count && !(lines[i] == "----" && lines[i + 1] == "----") {
                    expected.append(lines[i])
                    i += 1
                }
                i += 2
            } else {
                while i < lines.count && !lines[i].isEmpty {
                    expected.append(lines[i])
                    i += 1
                }
            }
            blocks.append(DataDrivenBlock(file: file, line: start, command: command, arguments: arguments,
                                          input: input, expected: expected))
        }
        return blocks
    }

    /// `cmd a=1 b=(x,y) c=(1, 2)`: values in parentheses are split at commas and trimmed.
    static func parseCommand(_ line: String, location: String) throws -> (String, [(key: String, values: [String])]) {
        let tokens = words(line)
        guard let command = tokens.first else { throw ParseError(location: location, reason: "empty command") }
        var arguments: [(key: String, values: [String])] = []
        for token in tokens.dropFirst() {
            guard let eq = token.firstIndex(of: "=") else {
                arguments.append((token, []))
                continue
            }
            let key = String(token[..<eq])
            var value = String(token[token.index(after: eq)...])
            if value.hasPrefix("(") && value.hasSuffix(")") {
                value = String(value.dropFirst().dropLast())
                arguments.append((key, value.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }))
            } else {
                arguments.append((key, [value]))
            }
        }
        return (command, arguments)
    }

    /// Splits at spaces outside parentheses: `a=(1 2) b` is two words.
    static func words(_ line: String) -> [String] {
        var tokens: [String] = []
        var current = ""
        var depth = 0
        for ch in line {
            if ch == "(" { depth += 1 }
            if ch == ")" { depth -= 1 }
            if ch == " " && depth == 0 {
                if !current.isEmpty { tokens.append(current) }
                current = ""
            } else {
                current.append(ch)
            }
        }
        if !current.isEmpty { tokens.append(current) }
        return tokens
    }
}
