#if canImport(Glibc)
import Glibc
#endif

/// Memory of its own (zeroed), at a 2 MB boundary, that the system is asked to back with huge
/// pages (Linux's transparent huge pages, `madvise` mode included): one TLB entry then covers
/// 2 MB, so a table of tens of MB read at random does not walk the page tables on most reads.
/// Without huge pages it works as well, only slower. Unmapped when the owner (a class, which
/// holds it as long as it lives) lets go of it.
final class HugePages {
    static let size = 2 << 20

    /// The usable memory: `bytes` bytes from `start`.
    let start: UnsafeMutableRawPointer
    let bytes: Int
    /// The mapping, from `mapped`, `mappedBytes` long.
    private let mapped: UnsafeMutableRawPointer
    private let mappedBytes: Int

    /// At least `bytes` bytes (rounded up to whole huge pages).
    init(bytes: Int) {
        self.bytes = (bytes + Self.size - 1) / Self.size * Self.size
        #if canImport(Glibc)
        // One huge page more than asked, to start at a huge page boundary within it.
        mappedBytes = self.bytes + Self.size
        guard let mapping = mmap(nil, mappedBytes, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0),
              mapping != MAP_FAILED
        else { fatalError("out of memory: could not map \(mappedBytes) bytes") }
        mapped = mapping
        start = mapping + (Self.size - Int(bitPattern: UInt(bitPattern: mapping)) % Self.size) % Self.size
        _ = madvise(start, self.bytes, MADV_HUGEPAGE)
        #else
        mappedBytes = self.bytes
        mapped = .allocate(byteCount: mappedBytes, alignment: Self.size)
        mapped.initializeMemory(as: UInt8.self, repeating: 0, count: mappedBytes)
        start = mapped
        #endif
    }

    deinit {
        #if canImport(Glibc)
        _ = munmap(mapped, mappedBytes)
        #else
        mapped.deallocate()
        #endif
    }
}
