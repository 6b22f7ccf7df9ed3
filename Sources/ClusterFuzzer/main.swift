import Foundation
import RaftCheckFiles
import RaftExplorer
import RaftSim

/// The cluster model under libFuzzer (`make fuzzer`): each input is a walk spelled as bytes
/// (`ByteWalk`) over the spec in `$RAFTCHECK_SPEC`, or else in `raftcheck-fuzzer.yaml` beside
/// the binary; `$RAFTCHECK_MUTATION` names a bug-zoo mutation to run against. A property
/// violation aborts, so libFuzzer saves the input as a crash file; `raftcheck import` turns it
/// into a trace. RaftCore and the model are built with the fuzzer's coverage instrumentation,
/// so the campaign is guided by the branches of the real core that walks reach.
///
/// Built plainly (as `swift build` does), it runs each file named on the command line once and
/// exits 1 if one breaks a property: a saved input reproduces without the fuzzer.
func fail(_ message: String) -> Never {
    FileHandle.standardError.write(Data("raftcheck-fuzzer: \(message)\n".utf8))
    exit(2)
}

let specPath = ProcessInfo.processInfo.environment["RAFTCHECK_SPEC"]
    ?? URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent().appendingPathComponent("raftcheck-fuzzer.yaml").path
let spec: Spec = {
    do {
        guard case .cluster(var spec) = try SpecLoader.load(path: specPath) else {
            fail("\(InputError.printable(specPath)): model: the fuzzer walks cluster specs only")
        }
        if let mutation = ProcessInfo.processInfo.environment["RAFTCHECK_MUTATION"] { spec.override(mutation: mutation) }
        // The spec file was checked as it was read: a problem now is the mutation's.
        if let problem = spec.problems().first { fail("RAFTCHECK_MUTATION: \(problem.message)") }
        return spec
    } catch {
        fail("\(error) (set RAFTCHECK_SPEC to a spec file)")
    }
}()
let model = ClusterModel(spec: spec)

/// Walks one input; a violation is reported on stderr and returned.
func walk(_ data: UnsafePointer<UInt8>?, _ size: Int) -> String? {
    let walk = ByteWalk(model: model, bytes: UnsafeBufferPointer(start: data, count: data == nil ? 0 : size), maxSteps: spec.fuzz.depth)
    guard let property = walk.violation else { return nil }
    FileHandle.standardError.write(Data("raftcheck-fuzzer: \(property) violated after \(walk.actions.count) events (spec \(spec.name), mutation \(spec.mutation ?? "none"))\n".utf8))
    return property
}

#if RAFTCHECK_FUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

_ = model.initialStates  // The spec is read, and refused, before libFuzzer starts.
var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
    if walk(data, size) != nil { abort() }
    return 0
})
#else
let files = CommandLine.arguments.dropFirst()
if files.isEmpty { fail("usage: raftcheck-fuzzer FILE...  (built without libFuzzer: walks each file once)") }
var violations = 0
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else { fail("\(InputError.printable(file)): cannot read the file") }
    if data.withUnsafeBytes({ walk($0.bindMemory(to: UInt8.self).baseAddress, $0.count) }) != nil { violations += 1 }
}
print("\(files.count) inputs walked, \(violations) broke a property")
exit(violations > 0 ? 1 : 0)
#endif
