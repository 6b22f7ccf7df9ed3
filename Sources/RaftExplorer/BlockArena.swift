/// Memory for kept states' blocks (`StateCache`), 64-byte aligned: carved from large chunks
/// that the system is asked to back with huge pages, so that a walk hopping between blocks
/// spread over hundreds of MB does not miss the TLB at every hop (with 4 KB pages each hop
/// walked the page tables first). A freed block goes on a list of blocks of its size, for the
/// next block of that size; chunks go back to the system only with the arena. One thread.
final class BlockArena {
    /// Blocks of up to this many cache lines come from chunks; larger ones from the allocator.
    static let largestLines = 64
    private static let chunkBytes = 32 << 20

    private var chunks: [HugePages] = []
    /// The unused rest of the newest chunk.
    private var next: UnsafeMutableRawPointer?
    private var left = 0
    /// By size in cache lines: the freed blocks of that size, linked through their first word.
    private var freed: [UnsafeMutableRawPointer?] = Array(repeating: nil, count: BlockArena.largestLines + 1)

    init() {}

    /// A block of `lines` cache lines, 64-byte aligned, uninitialized.
    func allocate(lines: Int) -> UnsafeMutableRawPointer {
        guard lines <= Self.largestLines else { return .allocate(byteCount: 64 * lines, alignment: 64) }
        if let block = freed[lines] {
            freed[lines] = block.load(as: UnsafeMutableRawPointer?.self)
            return block
        }
        if left < 64 * lines { grow() }
        let block = next.unsafelyUnwrapped
        next = block + 64 * lines
        left -= 64 * lines
        return block
    }

    /// Gives back a block `allocate(lines:)` made (its contents deinitialized).
    func deallocate(_ block: UnsafeMutableRawPointer, lines: Int) {
        guard lines <= Self.largestLines else { return block.deallocate() }
        block.storeBytes(of: freed[lines], as: UnsafeMutableRawPointer?.self)
        freed[lines] = block
    }

    private func grow() {
        // The chunk's unused rest (less than one block) is left unused.
        let chunk = HugePages(bytes: Self.chunkBytes)
        (next, left) = (chunk.start, chunk.bytes)
        chunks.append(chunk)
    }
}
