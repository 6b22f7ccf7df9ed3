import CXXHash
import Testing

/// The system libxxhash is linked and answers XXH3's published test vectors.
@Suite struct XXH3Tests {
    @Test func emptyInputMatchesReferenceVector() {
        #expect(XXH3_64bits(nil, 0) == 0x2D06_8005_38D3_94C2)
    }

    @Test func seedChangesTheHash() {
        let bytes: [UInt8] = Array("raftcheck".utf8)
        let a = bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
        let b = bytes.withUnsafeBytes { XXH3_64bits_withSeed($0.baseAddress, $0.count, 1) }
        let again = bytes.withUnsafeBytes { XXH3_64bits($0.baseAddress, $0.count) }
        #expect(a == again)
        #expect(a != b)
    }

    @Test func hash128Available() {
        let h = XXH3_128bits(nil, 0)
        // XXH3-128 of the empty input (xxHash's sanity table).
        #expect(h.low64 == 0x6001_C324_468D_497F)
        #expect(h.high64 == 0x99AA_06D3_0147_98D8)
    }
}
