import Foundation
import RaftCheckFiles

/// The spec and trace decoders under libFuzzer (`make fuzz-decoders`): every input goes through
/// `DecoderExercise.run`, and a trap is a finding, saved by libFuzzer as a crash file.
///
/// Built with `-sanitize=fuzzer -D RAFTCHECK_FUZZER`, libFuzzer drives it and takes libFuzzer's
/// flags. Built plainly (as `swift build` does), it runs each file named on the command line
/// through the same function once: a saved crash reproduces without the fuzzer.
func runOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    DecoderExercise.run(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}

#if RAFTCHECK_FUZZER
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<CInt>, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> CInt) -> CInt

var argc = CommandLine.argc
var argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>? = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&argc, &argv) { runOne($0, $1) })
#else
let files = CommandLine.arguments.dropFirst()
if files.isEmpty {
    FileHandle.standardError.write(Data("usage: decoders-fuzzer FILE...  (built without libFuzzer: runs each file once)\n".utf8))
    exit(2)
}
for file in files {
    guard let data = FileManager.default.contents(atPath: file) else {
        FileHandle.standardError.write(Data("error: \(InputError.printable(file)): cannot read the file\n".utf8))
        exit(2)
    }
    data.withUnsafeBytes { _ = runOne($0.bindMemory(to: UInt8.self).baseAddress, $0.count) }
}
print("\(files.count) inputs ran without a trap")
#endif
