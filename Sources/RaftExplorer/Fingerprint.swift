import CXXHash

/// How many bits of XXH3 a fingerprint keeps.
public enum HashWidth: Int, Sendable, Codable {
    case bits64 = 64
    case bits128 = 128
}

/// A state's fingerprint. Never all-zero (zero marks an empty slot in `FingerprintSet`).
public struct Fingerprint: Hashable, Comparable, Sendable, CustomStringConvertible {
    public var low: UInt64
    public var high: UInt64

    @inlinable
    public init(low: UInt64, high: UInt64 = 0) {
        self.low = low == 0 && high == 0 ? 1 : low
        self.high = high
    }

    @inlinable
    public static func < (a: Fingerprint, b: Fingerprint) -> Bool {
        (a.high, a.low) < (b.high, b.low)
    }

    public var description: String {
        high == 0 ? hex(low) : hex(high) + hex(low)
    }

    private func hex(_ value: UInt64) -> String {
        let digits = String(value, radix: 16)
        return String(repeating: "0", count: 16 - digits.count) + digits
    }
}

/// A reusable buffer for a state's canonical encoding, held as 64-bit words stored
/// little-endian, so the bytes (and hence fingerprints) are the same on every machine. Writes
/// are word-sized appends: the encoder is on every search's hot path.
public struct StateEncoder: Sendable {
    @usableFromInline var words: [UInt64] = []
    /// The hashes of the parts written lately (see `write(_:key:_:)`), replaced oldest first.
    private var remembered: [Remembered] = []
    private var nextReplaced = 0
    private static let rememberedParts = 16

    private struct Remembered: Sendable {
        /// Held, so that no other part can take its place at the same address.
        var part: any AnyObject & Sendable
        var key: UInt64
        var hash: XXH128_hash_t
    }

    public init(capacity: Int = 512) { words.reserveCapacity(capacity) }

    @inlinable public mutating func reset() { words.removeAll(keepingCapacity: true) }

    @inlinable public mutating func write(_ value: UInt64) { words.append(value.littleEndian) }
    @inlinable public mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }
    @inlinable public mutating func write(_ value: UInt8) { write(UInt64(value)) }
    @inlinable public mutating func write(_ value: Bool) { write(UInt64(value ? 1 : 0)) }

    /// Bytes: their count, then the bytes packed eight to a word.
    @inlinable
    public mutating func write(_ value: [UInt8]) {
        write(value.count)
        var word: UInt64 = 0
        for (i, byte) in value.enumerated() {
            word |= UInt64(byte) << (8 * UInt64(i & 7))
            if i & 7 == 7 {
                write(word)
                word = 0
            }
        }
        if value.count & 7 != 0 { write(word) }
    }

    /// Writes an immutable part as the 128-bit XXH3 of its encoding (`encode`'s words, given
    /// `key`: what the encoding depends on besides the part, such as node labels). A part
    /// shared by the states encoded lately (a node an event did not change) is encoded and
    /// hashed once. Two parts collide with probability about 2^-128 per pair, far below the
    /// fingerprint's own. The encoder keeps the last parts it wrote alive.
    public mutating func write<Part: AnyObject & Sendable>(_ part: Part, key: UInt64, _ encode: (inout StateEncoder) -> Void) {
        for i in remembered.indices where remembered[i].part === part && remembered[i].key == key {
            write(remembered[i].hash)
            return
        }
        let start = words.count
        encode(&self)
        let hash = words[start...].withUnsafeBytes { XXH3_128bits($0.baseAddress, $0.count) }
        words.removeSubrange(start...)
        write(hash)
        let entry = Remembered(part: part, key: key, hash: hash)
        if remembered.count < Self.rememberedParts {
            remembered.append(entry)
        } else {
            remembered[nextReplaced] = entry
            nextReplaced = (nextReplaced + 1) % Self.rememberedParts
        }
    }

    private mutating func write(_ hash: XXH128_hash_t) {
        write(hash.low64)
        write(hash.high64)
    }

    /// The encoding as bytes.
    public var bytes: [UInt8] { words.withUnsafeBytes { Array($0) } }

    /// XXH3 of everything written.
    public func hash(_ width: HashWidth) -> Fingerprint {
        words.withUnsafeBytes { raw in
            switch width {
            case .bits64:
                return Fingerprint(low: XXH3_64bits(raw.baseAddress, raw.count))
            case .bits128:
                let h = XXH3_128bits(raw.baseAddress, raw.count)
                return Fingerprint(low: h.low64, high: h.high64)
            }
        }
    }
}
