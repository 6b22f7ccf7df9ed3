import ArgumentParser
import Foundation
import RaftCheckFiles

/// Exit codes, as the architecture brief fixes them.
enum Exit: Int32 {
    case clean = 0
    case violation = 1
    case badInput = 2
    case internalError = 3
    /// `replay`: an event of the trace is not enabled where it occurs (the trace diverged).
    case diverged = 4
}

@main
struct RaftCheck: ParsableCommand {
    static let version = "0.1.0"

    static let configuration = CommandConfiguration(
        commandName: "raftcheck",
        abstract: "Model-check and fuzz the RaftCore Raft implementation.",
        version: version,
        subcommands: [Check.self, Fuzz.self, Replay.self, Minimize.self, Show.self, Explore.self, Gate.self, Mutants.self, Import.self, CorpusCommand.self]
    )

    /// Runs the command; usage mistakes and bad input exit 2 (not ArgumentParser's 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch let error as InputError {
            FileHandle.standardError.write(Data("error: \(error)\n".utf8))
            Foundation.exit(Exit.badInput.rawValue)
        } catch let code as ExitCode {
            Foundation.exit(code.rawValue)
        } catch {
            let code = exitCode(for: error)
            if code == .success {
                print(fullMessage(for: error))
                Foundation.exit(0)
            }
            FileHandle.standardError.write(Data("\(fullMessage(for: error))\n".utf8))
            Foundation.exit(code == .validationFailure ? Exit.badInput.rawValue : Exit.internalError.rawValue)
        }
    }
}
