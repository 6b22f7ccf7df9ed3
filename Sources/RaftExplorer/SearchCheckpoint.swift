/// A breadth-first search's checkpoint (TLC's `-checkpoint` / `-recover`): written between
/// batches, it holds everything the search goes on from, so a search resumed from it ends with
/// the counts, state IDs and counterexample the uninterrupted search gets.
///
/// Sections (`CheckpointWriter`): a header of words (format version, hash width, level, the
/// stats' counts, the satisfied `sometimes` properties, the fingerprint table's size and the
/// queues' block counts), the caller's key, the fingerprint table, the parent table's two
/// columns, each queued block's record count, then the blocks themselves: the current level's
/// unread ones, then the next level's (its last, partial block still being filled).
extension BreadthFirstSearch {
    private static var formatVersion: UInt64 { 1 }

    func writeCheckpoint() throws {
        guard let directory = options.checkpointDirectory else { return }
        let currentCounts = current.pendingCounts, nextCounts = next.pendingCounts
        var writer = try CheckpointWriter(directory: directory)
        let mask = satisfied.enumerated().reduce(UInt64(0)) { $0 | ($1.element ? 1 << UInt64($1.offset) : 0) }
        let header: [UInt64] = [
            Self.formatVersion, UInt64(options.hashWidth.rawValue), UInt64(depth), UInt64(stats.generated), UInt64(stats.distinct),
            UInt64(stats.maxDepth), mask, UInt64(seen.capacity), UInt64(seen.count), UInt64(parents.parents.count),
            UInt64(currentCounts.count), UInt64(nextCounts.count),
        ]
        try writer.section(header)
        try writer.section(Array(options.checkpointKey.utf8))
        try seen.withWords { words in try writer.section(words) }
        try writer.section(parents.parents)
        try writer.section(parents.actionIndexes)
        try writer.section((currentCounts + nextCounts).map(UInt64.init))
        for queue in [current, next] { try queue.forEachPending { try writer.section($0.bytes) } }
        try writer.commit()
    }

    /// Goes on from the checkpoint in `directory` (before `run`). Throws if it is missing or
    /// damaged, or was written for another key or hash width.
    public func resume(from directory: String) throws {
        var reader = try CheckpointReader(directory: directory)
        let header = try reader.section(count: 12, of: UInt64.self)
        let path = reader.path
        func mismatch(_ what: String) -> FileFailure { FileFailure(description: "\(path): \(what)") }
        guard header[0] == Self.formatVersion else { throw mismatch("written in format \(header[0]), this build reads \(Self.formatVersion)") }
        guard header[1] == UInt64(options.hashWidth.rawValue) else {
            throw mismatch("written with \(header[1])-bit fingerprints, this run uses \(options.hashWidth.rawValue)")
        }
        let key = String(decoding: try reader.section(), as: UTF8.self)
        guard key == options.checkpointKey else {
            throw mismatch("written for another run: the spec, its bounds, the mutation, the raftcheck release or its state images differ")
        }
        let (capacity, count, states) = (Int(header[7]), Int(header[8]), Int(header[9]))
        guard capacity > 0, capacity & (capacity - 1) == 0, count <= capacity else { throw mismatch("a fingerprint table of \(capacity) slots") }
        seen = try FingerprintSet(width: options.hashWidth, capacity: capacity, count: count) { (words) in
            try reader.section(into: words)
        }
        parents.parents = try reader.section(count: states, of: UInt32.self)
        parents.actionIndexes = try reader.section(count: states, of: UInt16.self)
        let (currentCount, nextCount) = (Int(header[10]), Int(header[11]))
        let counts = try reader.section(count: currentCount + nextCount, of: UInt64.self)
        current = ImageQueue(blockRecords: Self.batchSize, budget: budget)
        next = ImageQueue(blockRecords: Self.batchSize, budget: budget)
        for (i, records) in counts.enumerated() {
            let block = ImageQueue.Block(bytes: try reader.section(), count: Int(records))
            guard block.records().count == block.count else { throw mismatch("block \(i) does not hold \(records) records") }
            try (i < currentCount ? current : next).restore(block)
        }
        try current.close()
        guard reader.isAtEnd else { throw mismatch("bytes after the last block") }
        depth = Int(header[2])
        (stats.generated, stats.distinct, stats.maxDepth) = (Int(header[3]), Int(header[4]), Int(header[5]))
        for i in satisfied.indices { satisfied[i] = header[6] & (1 << UInt64(i)) != 0 }
        started = true
        updateQueueStats()
    }
}
