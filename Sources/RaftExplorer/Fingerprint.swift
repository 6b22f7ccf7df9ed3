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
/// are word-sized stores into a buffer the encoder owns alone: it is on every search's hot
/// path, and being noncopyable it needs no copy-on-write check per word.
public struct StateEncoder: ~Copyable {
    @usableFromInline var base: UnsafeMutablePointer<UInt64>
    @usableFromInline var count = 0
    @usableFromInline var capacity: Int
    /// The hashes of the parts written lately (see `write(_:key:_:)`), replaced oldest first.
    private var remembered: [Remembered] = []
    private var nextReplaced = 0
    private static let rememberedParts = 16

    private struct Remembered {
        /// Held, so that no other part can take its place at the same address.
        var part: any AnyObject & Sendable
        var key: UInt64
        var hash: XXH128_hash_t
    }

    public init(capacity: Int = 512) {
        self.capacity = max(capacity, 1)
        base = .allocate(capacity: self.capacity)
    }

    deinit { base.deallocate() }

    /// The words written since the last `reset`.
    private var words: UnsafeBufferPointer<UInt64> { UnsafeBufferPointer(start: base, count: count) }

    @inlinable public mutating func reset() { count = 0 }

    /// Lets go of the parts remembered (`write(_:key:_:)` holds them), so that a state can
    /// change those it alone then holds in place.
    public mutating func forgetParts() {
        remembered.removeAll(keepingCapacity: true)
        nextReplaced = 0
    }

    @inlinable public mutating func write(_ value: UInt64) {
        if count == capacity { grow() }
        base[count] = value.littleEndian
        count += 1
    }
    @inlinable public mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }
    @inlinable public mutating func write(_ value: UInt8) { write(UInt64(value)) }
    @inlinable public mutating func write(_ value: Bool) { write(UInt64(value ? 1 : 0)) }

    /// Doubles the buffer, keeping what was written.
    @usableFromInline mutating func grow() {
        let larger = UnsafeMutablePointer<UInt64>.allocate(capacity: 2 * capacity)
        larger.update(from: base, count: count)
        base.deallocate()
        (base, capacity) = (larger, 2 * capacity)
    }

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
        let start = count
        encode(&self)
        let hash = XXH3_128bits(base + start, (count - start) * MemoryLayout<UInt64>.stride)
        count = start
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
    public var bytes: [UInt8] { Array(UnsafeRawBufferPointer(words)) }

    /// XXH3 of everything written.
    public func hash(_ width: HashWidth) -> Fingerprint {
        let length = count * MemoryLayout<UInt64>.stride
        switch width {
        case .bits64:
            return Fingerprint(low: XXH3_64bits(base, length))
        case .bits128:
            let h = XXH3_128bits(base, length)
            return Fingerprint(low: h.low64, high: h.high64)
        }
    }
}
