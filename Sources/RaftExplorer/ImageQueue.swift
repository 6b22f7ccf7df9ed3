/// A BFS level's states waiting to be expanded, as images (`Model.encode`) with their IDs, in
/// order: filled while the level before is expanded, then read back one block at a time. A
/// block holds up to `blockRecords` records, one search batch. Full blocks stay in memory up
/// to a budget shared by the queues of one search; the rest go to an unlinked spill file and
/// are read back from it in order, so memory is bounded whatever the level's width (TLC keeps
/// its queue on disk likewise).
final class ImageQueue {
    /// A block's records, each `id` (4 bytes, little-endian), `length` (4 bytes) and the image.
    struct Block {
        var bytes: [UInt8] = []
        var count = 0

        /// Where each record's image starts and ends, and its ID; it stops at a record that
        /// runs past the end (only a damaged block has one).
        func records() -> [(id: UInt32, image: Range<Int>)] {
            var records: [(id: UInt32, image: Range<Int>)] = []
            records.reserveCapacity(count)
            var offset = 0
            bytes.withUnsafeBytes { raw in
                while offset + 8 <= raw.count {
                    let id = UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset, as: UInt32.self))
                    let length = Int(UInt32(littleEndian: raw.loadUnaligned(fromByteOffset: offset + 4, as: UInt32.self)))
                    guard length <= raw.count - offset - 8 else { return }
                    records.append((id, offset + 8..<offset + 8 + length))
                    offset += 8 + length
                }
            }
            return records
        }

        mutating func append(id: UInt32, image: UnsafeRawBufferPointer) {
            precondition(image.count <= Int(UInt32.max), "a state image over 4 GB")
            withUnsafeBytes(of: id.littleEndian) { bytes.append(contentsOf: $0) }
            withUnsafeBytes(of: UInt32(image.count).littleEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: image)
            count += 1
        }
    }

    private enum Stored {
        case memory(Block)
        case spilled(offset: Int, bytes: Int, count: Int)
    }

    let blockRecords: Int
    private let budget: MemoryBudget
    private var blocks: [Stored] = []
    /// The index in `blocks` of the next block to read.
    private var head = 0
    /// The block being filled.
    private var tail = Block()
    private var spill: SpillFile?
    /// Records appended and not yet read.
    private(set) var count = 0
    /// Bytes of spilled blocks not yet read.
    private(set) var spilledBytes = 0

    init(blockRecords: Int, budget: MemoryBudget) {
        self.blockRecords = blockRecords
        self.budget = budget
    }

    deinit {
        for i in head..<blocks.count { if case .memory(let block) = blocks[i] { budget.release(block.bytes.count) } }
    }

    var isEmpty: Bool { count == 0 }

    func append(id: UInt32, image: UnsafeRawBufferPointer) throws {
        tail.append(id: id, image: image)
        count += 1
        if tail.count == blockRecords { try store(tail) }
    }

    /// Ends the queue's filling: the partial last block becomes readable.
    func close() throws {
        if tail.count > 0 { try store(tail) }
    }

    private func store(_ block: Block) throws {
        tail = Block()
        if budget.take(block.bytes.count) {
            blocks.append(.memory(block))
            return
        }
        if spill == nil { spill = try SpillFile(directory: budget.spillDirectory) }
        let offset = try spill!.append(block.bytes)
        blocks.append(.spilled(offset: offset, bytes: block.bytes.count, count: block.count))
        spilledBytes += block.bytes.count
    }

    /// Puts back a block from a checkpoint, in order: a full one is stored, a partial one (the
    /// last) is filled on.
    func restore(_ block: Block) throws {
        count += block.count
        if block.count == blockRecords { try store(block) } else { tail = block }
    }

    /// The next block in order, nil when every block was read.
    func next() throws -> Block? {
        guard head < blocks.count else { return nil }
        defer { head += 1 }
        let block: Block
        switch blocks[head] {
        case .memory(let held):
            budget.release(held.bytes.count)
            block = held
        case let .spilled(offset, bytes, count):
            block = Block(bytes: try spill!.read(at: offset, count: bytes), count: count)
            spilledBytes -= bytes
        }
        blocks[head] = .spilled(offset: 0, bytes: 0, count: 0)
        count -= block.count
        return block
    }

    /// The record counts of the blocks not yet read, in order, the partial tail included.
    var pendingCounts: [Int] {
        blocks[head...].map {
            switch $0 {
            case .memory(let block): block.count
            case let .spilled(_, _, count): count
            }
        } + (tail.count > 0 ? [tail.count] : [])
    }

    /// Hands each block not yet read to `body`, in order (for a checkpoint), one at a time: a
    /// spilled one is read back only for the call.
    func forEachPending(_ body: (Block) throws -> Void) throws {
        for i in head..<blocks.count {
            switch blocks[i] {
            case .memory(let block): try body(block)
            case let .spilled(offset, bytes, count): try body(Block(bytes: try spill!.read(at: offset, count: bytes), count: count))
            }
        }
        if tail.count > 0 { try body(tail) }
    }
}

/// The memory the queues of one search may hold in blocks, and where the rest is spilled.
/// Used by one thread.
final class MemoryBudget {
    let limit: Int
    let spillDirectory: String
    private(set) var held = 0

    init(limit: Int, spillDirectory: String) {
        (self.limit, self.spillDirectory) = (limit, spillDirectory)
    }

    /// Takes `bytes` if they fit.
    func take(_ bytes: Int) -> Bool {
        guard held + bytes <= limit else { return false }
        held += bytes
        return true
    }

    func release(_ bytes: Int) { held -= bytes }
}
