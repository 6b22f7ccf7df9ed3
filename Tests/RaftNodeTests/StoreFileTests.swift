import Foundation
import RaftCore
import Testing
@testable import RaftNode

/// The hard state and snapshots survive a reopen, a leftover temporary file changes nothing,
/// old snapshots are pruned, and a damaged file is refused with its name.
@Suite struct StoreFileTests {
    typealias Dir = LogStoreTests

    @Test func hardStateSurvivesReopen() throws {
        let dir = try Dir.directory()
        #expect(try FileStableStore(directory: dir).hardState == HardState())
        try FileStableStore(directory: dir).save(HardState(term: 7, vote: 2, commit: 41))
        // A crash while writing the next one leaves its temporary file; the state is the last saved.
        try Data([1, 2, 3]).write(to: URL(fileURLWithPath: "\(dir)/hardstate.tmp"))
        #expect(try FileStableStore(directory: dir).hardState == HardState(term: 7, vote: 2, commit: 41))
    }

    @Test func damagedHardStateIsRefused() throws {
        let dir = try Dir.directory()
        try FileStableStore(directory: dir).save(HardState(term: 7, vote: 2, commit: 41))
        let url = URL(fileURLWithPath: "\(dir)/hardstate")
        let whole = try Data(contentsOf: url)
        for position in 0..<whole.count {
            var damaged = whole
            damaged[position] ^= 0x01
            try damaged.write(to: url)
            #expect(throws: StoreError.corrupt(file: url.path, offset: 0, reason: "checksum mismatch")) {
                _ = try FileStableStore(directory: dir)
            }
        }
    }

    static func snapshot(term: UInt64, index: UInt64) -> Snapshot {
        let conf = ConfState(voters: [1, 2, 3], learners: [4], votersOutgoing: [1, 2, 5], learnersNext: [5], autoLeave: true)
        return Snapshot(metadata: SnapshotMetadata(index: LogIndex(index), term: Term(term), confState: conf),
                        data: Array("state machine at \(index)".utf8))
    }

    @Test func snapshotsAreKeptNewestFirstAndPruned() throws {
        let dir = try Dir.directory()
        let store = try FileSnapshotStore(directory: dir, retain: 2)
        #expect(try store.latest() == nil)
        for (term, index) in [(1, 10), (2, 25), (2, 40)] as [(UInt64, UInt64)] {
            try store.save(Self.snapshot(term: term, index: index))
        }
        let reopened = try FileSnapshotStore(directory: dir, retain: 2)
        #expect(try reopened.latest() == Self.snapshot(term: 2, index: 40))
        let files = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".snap") }
        #expect(files.count == 2)
    }

    @Test func damagedSnapshotIsRefusedOnOpen() throws {
        let dir = try Dir.directory()
        try FileSnapshotStore(directory: dir).save(Self.snapshot(term: 1, index: 10))
        let name = try FileManager.default.contentsOfDirectory(atPath: dir).first { $0.hasSuffix(".snap") }!
        let url = URL(fileURLWithPath: "\(dir)/\(name)")
        var damaged = try Data(contentsOf: url)
        damaged[damaged.count / 2] ^= 0x40
        try damaged.write(to: url)
        #expect(throws: StoreError.corrupt(file: url.path, offset: 0, reason: "checksum mismatch")) {
            _ = try FileSnapshotStore(directory: dir)
        }
    }
}
