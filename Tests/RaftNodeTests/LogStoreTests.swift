import Foundation
import RaftCore
import Testing
@testable import RaftNode

/// The log stores keep the `LogStore` contract, and the file store recovers from what a crash
/// can leave: a record cut at any byte of the end is dropped (it was never acknowledged), while
/// a damaged record with data after it stops the open with the file and offset.
@Suite struct LogStoreTests {
    static func directory() throws -> String {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("raftnode-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    static func entries(_ indexes: ClosedRange<UInt64>, term: UInt64) -> [Entry] {
        indexes.map { Entry(term: Term(term), index: LogIndex($0), data: Array("value \($0) of term \(term)".utf8)) }
    }

    /// The contract, on any store: appends, a conflicting append, compaction, misuse refused.
    static func exercise(_ store: LogStore) throws {
        try store.append(entries(1...5, term: 1))
        #expect(store.firstIndex == 1 && store.lastIndex == 5)
        try store.append(entries(4...6, term: 2))  // A new leader's entries from 4 on win.
        #expect(try store.entries(from: 1, to: 10) == entries(1...3, term: 1) + entries(4...6, term: 2))
        try store.compact(through: 2, term: 1)
        #expect(store.firstIndex == 3 && store.compacted.index == 2 && store.compacted.term == 1)
        #expect(try store.entries(from: 1, to: 4) == entries(3...3, term: 1) + entries(4...4, term: 2))
        #expect(throws: StoreError.self) { try store.append(entries(8...8, term: 2)) }
        #expect(throws: StoreError.self) { try store.append(entries(2...2, term: 2)) }
        #expect(throws: StoreError.self) { try store.append([Entry(term: 2, index: 7), Entry(term: 2, index: 9)]) }
        // A snapshot whose last entry this log holds with another term replaces the whole log.
        try store.compact(through: 5, term: 9)
        #expect(store.firstIndex == 6 && store.lastIndex == 5 && store.compacted.term == 9)
        try store.append(entries(6...7, term: 9))
        try store.compact(through: 6, term: 9)  // Its own prefix: the entry after stays.
        #expect(try store.entries(from: 1, to: 10) == entries(7...7, term: 9))
        try store.compact(through: 10, term: 3)  // A snapshot past the log empties it.
        #expect(store.firstIndex == 11 && store.lastIndex == 10)
        try store.append(entries(11...12, term: 3))
        #expect(try store.entries(from: 11, to: 12) == entries(11...12, term: 3))
    }

    @Test func memoryStoreKeepsTheContract() throws {
        try Self.exercise(MemoryLogStore())
    }

    @Test func fileStoreKeepsTheContractAcrossReopens() throws {
        let dir = try Self.directory()
        try Self.exercise(try FileLogStore(directory: dir, segmentBytes: 200))
        let reopened = try FileLogStore(directory: dir, segmentBytes: 200)
        #expect(reopened.firstIndex == 11 && reopened.lastIndex == 12 && reopened.compacted.term == 3)
        #expect(try reopened.entries(from: 1, to: 20) == Self.entries(11...12, term: 3))
    }

    /// Small segments: compaction removes the segments it emptied, and a reopened log (whose
    /// oldest segments are gone) reads the same.
    @Test func compactionRemovesSegments() throws {
        let dir = try Self.directory()
        let store = try FileLogStore(directory: dir, segmentBytes: 300)
        for i in stride(from: UInt64(1), through: 60, by: 3) { try store.append(Self.entries(i...i + 2, term: 1)) }
        let before = try FileManager.default.contentsOfDirectory(atPath: dir).count
        try store.compact(through: 40, term: 1)
        let after = try FileManager.default.contentsOfDirectory(atPath: dir).count
        #expect(after < before, "\(before) segments before, \(after) after")
        let reopened = try FileLogStore(directory: dir, segmentBytes: 300)
        #expect(reopened.firstIndex == 41 && reopened.lastIndex == 60)
        #expect(try reopened.entries(from: 41, to: 60) == Self.entries(41...60, term: 1))
    }

    /// The newest segment cut at every byte of its last record: the log opens with the records
    /// before it, the file is cut back, and appending goes on.
    @Test func aTornLastRecordIsCutOff() throws {
        let dir = try Self.directory()
        let store = try FileLogStore(directory: dir)
        try store.append(Self.entries(1...4, term: 1))
        let sizeBefore = try Self.segmentSize(dir)
        try store.append(Self.entries(5...5, term: 1))
        let file = try Self.segment(dir)
        let whole = try Data(contentsOf: URL(fileURLWithPath: file))
        for cut in sizeBefore..<whole.count {
            try whole.prefix(cut).write(to: URL(fileURLWithPath: file))
            let recovered = try FileLogStore(directory: dir)
            #expect(recovered.lastIndex == 4, "cut at \(cut)")
            #expect(try Self.segmentSize(dir) == sizeBefore, "cut at \(cut)")
        }
        let recovered = try FileLogStore(directory: dir)
        try recovered.append(Self.entries(5...6, term: 2))
        #expect(try FileLogStore(directory: dir).entries(from: 1, to: 6) == Self.entries(1...4, term: 1) + Self.entries(5...6, term: 2))
    }

    /// A flipped byte anywhere in a record that has records after it: the open fails, naming
    /// the file and the record's offset.
    @Test func aDamagedEarlierRecordIsRefused() throws {
        let dir = try Self.directory()
        let store = try FileLogStore(directory: dir)
        try store.append(Self.entries(1...1, term: 1))
        let start = try Self.segmentSize(dir)
        try store.append(Self.entries(2...2, term: 1))
        let end = try Self.segmentSize(dir)
        try store.append(Self.entries(3...4, term: 1))
        let file = try Self.segment(dir)
        let whole = try Data(contentsOf: URL(fileURLWithPath: file))
        for position in start..<end {
            var damaged = whole
            damaged[position] ^= 0x10
            try damaged.write(to: URL(fileURLWithPath: file))
            #expect(throws: StoreError.corrupt(file: file, offset: start, reason: position < start + 12 ? "header checksum mismatch" : "payload checksum mismatch")) {
                _ = try FileLogStore(directory: dir)
            }
        }
    }

    static func segment(_ dir: String) throws -> String {
        let names = try FileManager.default.contentsOfDirectory(atPath: dir).filter { $0.hasSuffix(".wal") }.sorted()
        return "\(dir)/\(names.last!)"
    }

    static func segmentSize(_ dir: String) throws -> Int {
        (try FileManager.default.attributesOfItem(atPath: segment(dir))[.size] as? Int) ?? -1
    }
}
