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

/// A reusable byte buffer for a state's canonical encoding. Integers are written little-endian,
/// so the bytes (and hence fingerprints) are the same on every machine.
public struct StateEncoder: Sendable {
    @usableFromInline var buffer: [UInt8] = []
    public var bytes: [UInt8] { buffer }

    public init(capacity: Int = 4096) { buffer.reserveCapacity(capacity) }

    @inlinable public mutating func reset() { buffer.removeAll(keepingCapacity: true) }

    @inlinable
    public mutating func write(_ value: UInt64) {
        withUnsafeBytes(of: value.littleEndian) { buffer.append(contentsOf: $0) }
    }

    @inlinable public mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value))) }
    @inlinable public mutating func write(_ value: UInt8) { buffer.append(value) }
    @inlinable public mutating func write(_ value: Bool) { buffer.append(value ? 1 : 0) }

    @inlinable
    public mutating func write(_ value: [UInt8]) {
        write(value.count)
        buffer.append(contentsOf: value)
    }

    /// Bytes written so far.
    @inlinable public var count: Int { buffer.count }

    /// Forgets what was written after the first `count` bytes.
    @inlinable public mutating func truncate(to count: Int) { buffer.removeLast(buffer.count - count) }

    /// XXH3-64 of the bytes written after the first `offset` (to hash one part, such as a
    /// multiset element, before truncating it away).
    public func hash64(from offset: Int) -> UInt64 {
        buffer.withUnsafeBytes { raw in
            XXH3_64bits(raw.baseAddress.map { $0 + offset }, raw.count - offset)
        }
    }

    /// XXH3 of the bytes written so far.
    public func hash(_ width: HashWidth) -> Fingerprint {
        buffer.withUnsafeBytes { raw in
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
