import ArgumentParser
import Foundation
import RaftCheckFiles

/// `raftcheck corpus`: operations on fuzz campaign directories (`fuzz --corpus`).
struct CorpusCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "corpus", abstract: "Work with fuzz campaign directories.", subcommands: [Merge.self])

    /// `raftcheck corpus merge DIR... --out DIR`: the traces of several corpora (say, the
    /// shards of one campaign) in one new corpus. Every trace is read and checked first. Equal
    /// files under one name are kept once; different files under one name (from different
    /// campaigns) are all kept, as `NAME~1.json`, `NAME~2.json`… in the order of their bytes.
    /// So the result does not depend on the order the corpora are given in, and no violation is
    /// lost. The merged corpus holds traces only: it is not a campaign to resume.
    struct Merge: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Merge fuzz corpora into a new one; the same result in any order, every violation kept.")

        @Argument(help: "The corpora (fuzz --corpus directories).")
        var corpora: [String]

        @Option(help: "The new corpus directory (absent or empty).")
        var out: String

        /// The folders of a corpus that hold traces.
        static let folders = ["novel", "violations"]

        func validate() throws {
            guard !corpora.isEmpty else { throw ValidationError("name at least one corpus to merge") }
        }

        func run() throws {
            // Every trace of every corpus, by folder and name.
            var found: [String: [Data]] = [:]
            for corpus in corpora {
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: corpus, isDirectory: &isDirectory), isDirectory.boolValue else {
                    throw InputError(file: corpus, message: "not a corpus directory")
                }
                for folder in Self.folders {
                    let names = ((try? FileManager.default.contentsOfDirectory(atPath: "\(corpus)/\(folder)")) ?? [])
                        .filter { $0.hasSuffix(".json") && !$0.hasPrefix(".") }.sorted()
                    for name in names {
                        let path = "\(corpus)/\(folder)/\(name)"
                        _ = try TraceFile.read(path)  // A corpus of traces only: anything else is refused.
                        guard let data = FileManager.default.contents(atPath: path) else {
                            throw InputError(file: path, message: "cannot read the file")
                        }
                        found["\(folder)/\(name)", default: []].append(data)
                    }
                }
            }
            if let existing = try? FileManager.default.contentsOfDirectory(atPath: out), !existing.isEmpty {
                throw InputError(file: out, field: "--out", message: "already holds files: merge into a new directory")
            }
            for folder in Self.folders {
                do { try FileManager.default.createDirectory(atPath: "\(out)/\(folder)", withIntermediateDirectories: true) } catch {
                    throw InputError(file: out, field: "--out", message: "cannot create the directory: \(error.localizedDescription)")
                }
            }
            var written = [String: Int](), duplicates = 0
            for key in found.keys.sorted() {
                var versions: [Data] = []
                for data in found[key]!.sorted(by: { $0.lexicographicallyPrecedes($1) }) where versions.last != data { versions.append(data) }
                duplicates += found[key]!.count - versions.count
                for (i, data) in versions.enumerated() {
                    let name = versions.count == 1 ? key : "\(key.dropLast(".json".count))~\(i + 1).json"
                    try writeOutput(data, to: "\(out)/\(name)", what: "trace")
                    written[String(key.prefix { $0 != "/" }), default: 0] += 1
                }
            }
            print("merged \(corpora.count) corpora into \(out): \(written["novel"] ?? 0) novel runs, \(written["violations"] ?? 0) violations, \(duplicates) duplicates left out")
        }
    }
}
