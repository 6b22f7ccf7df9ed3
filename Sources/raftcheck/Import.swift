import ArgumentParser
import Foundation
import RaftExplorer
import RaftSim
import RaftCheckFiles

/// `raftcheck import INPUT --spec SPEC`: a libFuzzer input of `raftcheck-fuzzer` (a crash file,
/// or any corpus entry) turned into a trace, walked exactly as the fuzzer walked it
/// (`ByteWalk`): `replay`, `minimize` and `show` then work on it.
struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn a raftcheck-fuzzer input into a trace; exit 1 if its walk breaks a property, 0 if not.")

    @Argument(help: "The fuzzer's input file (raw bytes).")
    var input: String

    @Option(help: "The spec the fuzzer ran with (its RAFTCHECK_SPEC).")
    var spec: String

    @Option(help: "The mutation it ran against (its RAFTCHECK_MUTATION; 'none': the real core).")
    var mutation: String?

    @Option(help: "Where to write the trace (default: <input>.trace.json).")
    var out: String?

    func run() throws {
        guard case .cluster(var spec) = try SpecLoader.load(path: self.spec) else {
            throw InputError(file: self.spec, field: "model", message: "the fuzzer walks cluster specs only")
        }
        if let mutation { spec.override(mutation: mutation) }
        // The spec file was checked as it was read: a problem now is the mutation's.
        if let problem = spec.problems().first { throw InputError(file: self.spec, field: "--mutation", message: problem.message) }
        guard let bytes = FileManager.default.contents(atPath: input) else {
            throw InputError(file: input, message: "cannot read the file")
        }
        let walk = ByteWalk(model: ClusterModel(spec: spec), bytes: bytes, maxSteps: spec.fuzz.depth)
        let path = out ?? "\(input).trace.json"
        let violation = walk.violation.map {
            TraceViolation(property: $0, step: walk.actions.count,
                           message: "\($0) violated after \(walk.actions.count) events (raftcheck-fuzzer input \(InputError.printable(input)))")
        }
        try TraceFile.write(Trace(tool: "raftcheck \(RaftCheck.version)", spec: spec, seed: nil, events: walk.actions, violation: violation), to: path)
        if let violation {
            print("VIOLATION: \(violation.property) after \(walk.actions.count) events; trace written to \(path)")
            throw ExitCode(Exit.violation.rawValue)
        }
        print("no violation: \(bytes.count) bytes walk \(walk.actions.count) events; trace written to \(path)")
    }
}
