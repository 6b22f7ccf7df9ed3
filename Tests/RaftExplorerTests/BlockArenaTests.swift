import Testing
@testable import RaftExplorer

struct BlockArenaTests {
    @Test func hugePagesAreZeroedAndAligned() {
        let memory = HugePages(bytes: 3 << 20)
        #expect(memory.bytes == 4 << 20)
        #expect(UInt(bitPattern: memory.start) % UInt(HugePages.size) == 0)
        let words = memory.start.bindMemory(to: UInt64.self, capacity: memory.bytes / 8)
        #expect((0..<memory.bytes / 8).allSatisfy { words[$0] == 0 })
        words[memory.bytes / 8 - 1] = 7
        #expect(words[memory.bytes / 8 - 1] == 7)
    }

    @Test func blocksAreAlignedApartAndReusedBySize() {
        let arena = BlockArena()
        let a = arena.allocate(lines: 3), b = arena.allocate(lines: 3), c = arena.allocate(lines: 5)
        for block in [a, b, c] { #expect(UInt(bitPattern: block) % 64 == 0) }
        #expect(b - a >= 3 * 64 && c - b >= 3 * 64)
        a.storeBytes(of: 1, as: UInt64.self)
        arena.deallocate(a, lines: 3)
        arena.deallocate(c, lines: 5)
        // Freed blocks go to the next block of their own size, the newest first.
        #expect(arena.allocate(lines: 5) == c)
        #expect(arena.allocate(lines: 3) == a)
        let fresh = arena.allocate(lines: 3)
        #expect(fresh != a && fresh != b)
    }

    @Test func largeBlocksAndManyChunks() {
        let arena = BlockArena()
        let large = arena.allocate(lines: BlockArena.largestLines + 1)
        #expect(UInt(bitPattern: large) % 64 == 0)
        large.storeBytes(of: 9, toByteOffset: 64 * BlockArena.largestLines, as: UInt64.self)
        arena.deallocate(large, lines: BlockArena.largestLines + 1)
        // More blocks than one chunk holds: each is written, none overlaps the one before.
        var last: UnsafeMutableRawPointer?
        for i in 0..<(40 << 20) / (64 * 64) {
            let block = arena.allocate(lines: 64)
            block.storeBytes(of: UInt64(i), as: UInt64.self)
            if let last { #expect(block.load(as: UInt64.self) == UInt64(i) && abs(block - last) >= 64 * 64) }
            last = block
        }
    }
}
