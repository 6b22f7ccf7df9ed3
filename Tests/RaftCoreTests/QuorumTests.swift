import Testing
@testable import RaftCore

/// The quorum arithmetic against a deliberately slow, obviously-correct reference.
@Suite struct QuorumTests {
    /// The largest index acknowledged by at least a majority: try every candidate index.
    static func referenceCommitted(_ voters: [NodeID], _ acked: [NodeID: LogIndex]) -> LogIndex {
        guard !voters.isEmpty else { return .infinity }
        let candidates = [LogIndex.zero] + voters.compactMap { acked[$0] }
        return candidates.filter { index in
            voters.filter { (acked[$0] ?? .zero) >= index }.count > voters.count / 2
        }.max()!
    }

    /// Won if a majority said yes; lost if a majority can no longer say yes; else pending.
    static func referenceVote(_ voters: [NodeID], _ votes: [NodeID: Bool]) -> VoteResult {
        guard !voters.isEmpty else { return .won }
        let yes = voters.filter { votes[$0] == true }.count
        let undecided = voters.filter { votes[$0] == nil }.count
        if 2 * yes > voters.count { return .won }
        if 2 * (yes + undecided) > voters.count { return .pending }
        return .lost
    }

    static func randomVoters(_ rng: inout SplitMix64) -> [NodeID] {
        let count = Int(rng.next(below: 8))
        return (0..<count).map { _ in NodeID(1 + rng.next(below: 9)) }
    }

    @Test(arguments: 0..<20)
    func majorityCommittedIndexMatchesReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed)
        for _ in 0..<500 {
            let config = MajorityConfig(Self.randomVoters(&rng))
            var acked: [NodeID: LogIndex] = [:]
            for id in config.voters where rng.next(below: 4) != 0 { acked[id] = LogIndex(rng.next(below: 12)) }
            let expected = Self.referenceCommitted(config.voters, acked)
            #expect(config.committedIndex { acked[$0] } == expected, "voters \(config.voters) acked \(acked.sorted { $0.key < $1.key })")
        }
    }

    @Test(arguments: 0..<20)
    func jointResultsMatchReference(seed: UInt64) {
        var rng = SplitMix64(seed: seed &+ 1000)
        for _ in 0..<500 {
            let joint = JointConfig(incoming: MajorityConfig(Self.randomVoters(&rng)), outgoing: MajorityConfig(Self.randomVoters(&rng)))
            var acked: [NodeID: LogIndex] = [:]
            var votes: [NodeID: Bool] = [:]
            for id in joint.voters {
                if rng.next(below: 4) != 0 { acked[id] = LogIndex(rng.next(below: 12)) }
                switch rng.next(below: 3) {
                case 0: votes[id] = true
                case 1: votes[id] = false
                default: break
                }
            }
            let committed = min(Self.referenceCommitted(joint.incoming.voters, acked), Self.referenceCommitted(joint.outgoing.voters, acked))
            #expect(joint.committedIndex { acked[$0] } == committed)
            let a = Self.referenceVote(joint.incoming.voters, votes)
            let b = Self.referenceVote(joint.outgoing.voters, votes)
            let vote: VoteResult = (a == .won && b == .won) ? .won : (a == .lost || b == .lost) ? .lost : .pending
            #expect(joint.voteResult { votes[$0] } == vote)
        }
    }

    @Test func emptyConfigurationIsNeutral() {
        #expect(MajorityConfig().committedIndex { _ in 5 } == .infinity)
        #expect(MajorityConfig().voteResult { _ in false } == .won)
        let joint = JointConfig(incoming: MajorityConfig([1, 2, 3]))
        #expect(joint.committedIndex { [1: 7, 2: 5, 3: 2][$0] } == 5)
    }
}

@Suite struct StorageTests {
    func filled() -> MemoryStorage {
        storage(voters: [1], terms: [1, 1, 2, 3, 3])
    }

    @Test func readsEntriesAndTerms() throws {
        let s = filled()
        #expect(s.firstIndex == 1)
        #expect(s.lastIndex == 5)
        #expect(try s.term(at: 0) == 0)
        #expect(try s.term(at: 4) == 3)
        #expect(throws: StorageError.unavailable) { try s.term(at: 6) }
        #expect(try s.entries(from: 2, to: 5, maxSize: .max).map(\.index) == [2, 3, 4])
    }

    @Test func appendOverwritesConflictingSuffix() throws {
        var s = filled()
        s.append([Entry(term: 4, index: 3), Entry(term: 4, index: 4)])
        #expect(s.storedEntries.map(\.term) == [1, 1, 4, 4])
    }

    @Test func compactAndSnapshot() throws {
        var s = filled()
        try s.createSnapshot(at: 3, data: [7])
        try s.compact(to: 3)
        #expect(s.firstIndex == 4)
        #expect(try s.term(at: 3) == 2)
        #expect(throws: StorageError.compacted) { try s.term(at: 2) }
        #expect(throws: StorageError.compacted) { try s.entries(from: 3, to: 5, maxSize: .max) }
        #expect(throws: MemoryStorage.WriteError.outOfDate) { try s.compact(to: 2) }
        #expect(try s.snapshot().metadata.index == 3)
        // Appending below the snapshot skips the compacted part.
        s.append([Entry(term: 2, index: 3), Entry(term: 5, index: 4)])
        #expect(s.storedEntries.map(\.term) == [5])
        try s.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 10, term: 6)))
        #expect(s.firstIndex == 11 && s.lastIndex == 10)
        #expect(throws: MemoryStorage.WriteError.outOfDate) { try s.applySnapshot(Snapshot(metadata: SnapshotMetadata(index: 9, term: 6))) }
    }

    @Test func sizeLimitKeepsAtLeastOneEntry() throws {
        var s = MemoryStorage()
        s.append((1...4).map { Entry(term: 1, index: LogIndex(UInt64($0)), data: [1, 2, 3]) })
        #expect(try s.entries(from: 1, to: 5, maxSize: 0).count == 1)
        #expect(try s.entries(from: 1, to: 5, maxSize: 7).count == 2)
        #expect(try s.entries(from: 1, to: 5, maxSize: .max).count == 4)
    }
}

@Suite struct RaftLogTests {
    @Test func unstableTailShadowsStorage() throws {
        var log = RaftLog(storage: storage(voters: [1], terms: [1, 1, 2]))
        log.append([Entry(term: 3, index: 3), Entry(term: 3, index: 4)])
        #expect(log.lastIndex == 4)
        #expect(try log.term(at: 3) == 3)
        #expect(try log.entries(from: 2).map(\.term) == [1, 3, 3])
        // All terms in one pass, from the index before the first (0 here): the unstable tail
        // over the storage, as `term(at:)` answers index by index.
        #expect(log.terms == [0, 1, 1, 3, 3])
        #expect(log.storage.terms() == [0, 1, 1, 2] && log.storage.terms(through: 1) == [0, 1])
        var compacted = storage(voters: [1], terms: [1, 1, 2, 2])
        try compacted.compact(to: 2)
        #expect(compacted.terms() == [1, 2, 2] && compacted.terms(through: 1) == [1])
        // `hasTerms` answers `terms() == x` without building the array.
        #expect(compacted.hasTerms([1, 2, 2]))
        #expect(!compacted.hasTerms([1, 2, 3]) && !compacted.hasTerms([1, 2]) && !compacted.hasTerms([0, 1, 1, 2, 2]))
        // Stable only if the persisted (index, term) is still the log's (rule 18).
        log.stableTo(index: 4, term: 2)
        #expect(log.unstableEntries.count == 2)
        log.stableTo(index: 4, term: 3)
        #expect(log.unstableEntries.isEmpty)
    }

    @Test func findConflictByTermSkipsWholeTerms() {
        let log = RaftLog(storage: storage(voters: [1], terms: [1, 1, 1, 4, 4, 5, 5, 6, 6, 6]))
        #expect(log.findConflictByTerm(index: 10, term: 3) == (3, 1))
        #expect(log.findConflictByTerm(index: 10, term: 5) == (7, 5))
        #expect(log.findConflictByTerm(index: 10, term: 6) == (10, 6))
        #expect(log.findConflictByTerm(index: 0, term: 0) == (0, 0))
    }

    @Test func upToDateComparesLastTermThenIndex() {
        let log = RaftLog(storage: storage(voters: [1], terms: [1, 2, 2]))
        #expect(log.isUpToDate(lastIndex: 1, lastTerm: 3))
        #expect(log.isUpToDate(lastIndex: 3, lastTerm: 2))
        #expect(!log.isUpToDate(lastIndex: 2, lastTerm: 2))
        #expect(!log.isUpToDate(lastIndex: 9, lastTerm: 1))
    }
}

@Suite struct SplitMix64Tests {
    @Test func sequenceIsFixedAndBoundedDrawsStayInRange() {
        var a = SplitMix64(seed: 1234567)
        var b = SplitMix64(seed: 1234567)
        // Published SplitMix64 output for seed 1234567 (first value).
        #expect(a.next() == 6_457_827_717_110_365_317)
        _ = b.next()
        for _ in 0..<1000 {
            let x = a.next(below: 7)
            #expect(x < 7)
            #expect(x == b.next(below: 7))
        }
    }
}
