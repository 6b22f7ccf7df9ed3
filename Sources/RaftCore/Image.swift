/// A compact binary image of a node's whole state, for a checker that keeps states out of the
/// heap (a search queue, a checkpoint on disk). Reading an image gives back a value equal
/// (`==`) to the one written, every field included. Not a wire or storage format: it may change
/// with any release, and only the process kind that wrote it reads it back.
///
/// Integers are LEB128 varints (signed ones zigzagged); a list is its count, then its elements.

/// Where an image is written: a buffer of its own, grown as needed (a write is a store and a
/// bounds check, with no copy-on-write check per byte), handed over with `append(to:)`.
@_spi(Checker) public struct ImageWriter: ~Copyable {
    private var base: UnsafeMutablePointer<UInt8>
    private var capacity: Int
    public private(set) var count = 0
    /// The configuration most nodes run with: a node's is written as its ID and applied index
    /// when it differs from this in nothing else (see `Config.write`).
    public let usualConfig: Config?

    public init(capacity: Int = 4096, usualConfig: Config? = nil) {
        self.capacity = max(capacity, 16)
        base = .allocate(capacity: self.capacity)
        self.usualConfig = usualConfig
    }

    deinit { base.deallocate() }

    /// Appends what was written to `bytes`, and starts over.
    public mutating func append(to bytes: inout [UInt8]) {
        bytes.append(contentsOf: UnsafeBufferPointer(start: base, count: count))
        count = 0
    }

    private mutating func grow(to needed: Int) {
        var capacity = self.capacity * 2
        while capacity < needed { capacity *= 2 }
        let grown = UnsafeMutablePointer<UInt8>.allocate(capacity: capacity)
        grown.update(from: base, count: count)
        base.deallocate()
        (base, self.capacity) = (grown, capacity)
    }

    @inline(__always)
    public mutating func write(_ value: UInt64) {
        if count + 10 > capacity { grow(to: count + 10) }
        var v = value
        while v >= 0x80 {
            base[count] = UInt8(truncatingIfNeeded: v) | 0x80
            count += 1
            v >>= 7
        }
        base[count] = UInt8(v)
        count += 1
    }

    public mutating func write(_ value: Int) { write(UInt64(bitPattern: Int64(value << 1 ^ value >> 63))) }

    public mutating func write(_ value: Bool) { write(value ? 1 as UInt64 : 0) }

    public mutating func write(_ data: [UInt8]) {
        write(UInt64(data.count))
        if count + data.count > capacity { grow(to: count + data.count) }
        guard !data.isEmpty else { return }
        data.withUnsafeBufferPointer { (base + count).update(from: $0.baseAddress!, count: $0.count) }
        count += data.count
    }

    public mutating func write<T: ImageCodable>(_ value: T) { value.write(to: &self) }

    /// Writes `value` as a frame: its image's length (4 bytes, little-endian), then the image.
    /// A reader can take a frame whole (`ImageReader.frame`) to compare or skip it.
    public mutating func writeFrame<T: ImageCodable>(_ value: T) {
        if count + 4 > capacity { grow(to: count + 4) }
        let start = count
        count += 4
        value.write(to: &self)
        let length = UInt32(count - start - 4).littleEndian
        withUnsafeBytes(of: length) { UnsafeMutableRawPointer(base + start).copyMemory(from: $0.baseAddress!, byteCount: 4) }
    }

    /// Appends bytes as they are (a frame this writer wrote before, say).
    public mutating func writeRaw(_ bytes: UnsafeRawBufferPointer) {
        if count + bytes.count > capacity { grow(to: count + bytes.count) }
        if let source = bytes.baseAddress { UnsafeMutableRawPointer(base + count).copyMemory(from: source, byteCount: bytes.count) }
        count += bytes.count
    }

    /// The bytes written from `start` on.
    public func bytes(from start: Int) -> [UInt8] { Array(UnsafeBufferPointer(start: base + start, count: count - start)) }

    public mutating func write<T: ImageCodable>(_ values: [T]) {
        write(UInt64(values.count))
        for value in values { value.write(to: &self) }
    }

    public mutating func write<T: ImageCodable>(_ value: T?) {
        write(value != nil)
        if let value { value.write(to: &self) }
    }
}

/// An image that does not read back: cut short, or a value out of range.
@_spi(Checker) public struct ImageError: Error, CustomStringConvertible {
    /// The byte offset where reading failed.
    public var offset: Int
    public var reason: String

    public var description: String { "state image: \(reason) at byte \(offset)" }
}

/// Reads an image from bytes the caller keeps alive while reading.
@_spi(Checker) public struct ImageReader {
    private let bytes: UnsafeRawBufferPointer
    public private(set) var offset = 0
    /// The writer's `usualConfig`.
    public let usualConfig: Config?

    public init(_ bytes: UnsafeRawBufferPointer, usualConfig: Config? = nil) {
        self.bytes = bytes
        self.usualConfig = usualConfig
    }

    public var isAtEnd: Bool { offset == bytes.count }

    public func error(_ reason: String) -> ImageError { ImageError(offset: offset, reason: reason) }

    @inline(__always)
    public mutating func read() throws -> UInt64 {
        var value: UInt64 = 0
        var shift: UInt64 = 0
        while true {
            guard offset < bytes.count else { throw error("truncated") }
            let byte = bytes[offset]
            offset += 1
            guard shift < 64 else { throw error("varint too long") }
            value |= UInt64(byte & 0x7F) << shift
            if byte < 0x80 { return value }
            shift += 7
        }
    }

    public mutating func read() throws -> Int {
        let raw: UInt64 = try read()
        return Int(Int64(bitPattern: raw >> 1) ^ -Int64(bitPattern: raw & 1))
    }

    public mutating func read() throws -> Bool {
        switch try read() as UInt64 {
        case 0: false
        case 1: true
        default: throw error("a flag is neither 0 nor 1")
        }
    }

    /// A count of things that each take at least one byte: never more than the bytes left.
    public mutating func count() throws -> Int {
        let n: UInt64 = try read()
        guard n <= UInt64(bytes.count - offset) else { throw error("a count of \(n) exceeds the bytes left") }
        return Int(n)
    }

    public mutating func read() throws -> [UInt8] {
        let n = try count()
        defer { offset += n }
        return Array(bytes[offset..<offset + n])
    }

    public mutating func read<T: ImageCodable>() throws -> T { try T(image: &self) }

    /// A frame (`ImageWriter.writeFrame`) whole: its header and image.
    public mutating func frame() throws -> UnsafeRawBufferPointer {
        guard offset + 4 <= bytes.count else { throw error("truncated") }
        let length = Int(UInt32(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt32.self)))
        guard length <= bytes.count - offset - 4 else { throw error("a frame of \(length) bytes runs past the end") }
        defer { offset += 4 + length }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + 4 + length])
    }

    /// Reads a value from a frame `frame()` returned, all of it.
    public static func read<T: ImageCodable>(frame: UnsafeRawBufferPointer, usualConfig: Config?) throws -> T {
        var reader = ImageReader(UnsafeRawBufferPointer(rebasing: frame[4...]), usualConfig: usualConfig)
        let value = try T(image: &reader)
        guard reader.isAtEnd else { throw reader.error("bytes after the value in its frame") }
        return value
    }

    public mutating func read<T: ImageCodable>() throws -> [T] {
        let n = try count()
        var values: [T] = []
        values.reserveCapacity(n)
        for _ in 0..<n { values.append(try T(image: &self)) }
        return values
    }

    public mutating func read<T: ImageCodable>() throws -> T? {
        try read() ? try T(image: &self) : nil
    }

    /// An enum stored as its raw byte.
    public mutating func read<T: RawRepresentable>(_: T.Type) throws -> T where T.RawValue == UInt8 {
        let raw: UInt64 = try read()
        guard raw <= UInt64(UInt8.max), let value = T(rawValue: UInt8(raw)) else { throw error("no \(T.self) numbered \(raw)") }
        return value
    }
}

/// A value with a binary image (see `ImageWriter`).
@_spi(Checker) public protocol ImageCodable {
    func write(to image: inout ImageWriter)
    init(image: inout ImageReader) throws
}

@_spi(Checker) extension NodeID: ImageCodable {
    public func write(to image: inout ImageWriter) { image.write(rawValue) }
    public init(image: inout ImageReader) throws { self.init(try image.read() as UInt64) }
}

@_spi(Checker) extension Term: ImageCodable {
    public func write(to image: inout ImageWriter) { image.write(rawValue) }
    public init(image: inout ImageReader) throws { self.init(try image.read() as UInt64) }
}

@_spi(Checker) extension LogIndex: ImageCodable {
    public func write(to image: inout ImageWriter) { image.write(rawValue) }
    public init(image: inout ImageReader) throws { self.init(try image.read() as UInt64) }
}

@_spi(Checker) extension Entry: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(term)
        image.write(index)
        image.write(UInt64(kind.rawValue))
        image.write(data)
    }

    public init(image: inout ImageReader) throws {
        self.init(term: try image.read(), index: try image.read(), kind: try image.read(Kind.self), data: try image.read())
    }
}

@_spi(Checker) extension ConfState: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(voters)
        image.write(learners)
        image.write(votersOutgoing)
        image.write(learnersNext)
        image.write(autoLeave)
    }

    public init(image: inout ImageReader) throws {
        self.init(voters: try image.read(), learners: try image.read(), votersOutgoing: try image.read(),
                  learnersNext: try image.read(), autoLeave: try image.read())
    }
}

@_spi(Checker) extension Snapshot: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(metadata.index)
        image.write(metadata.term)
        image.write(metadata.confState)
        image.write(data)
    }

    public init(image: inout ImageReader) throws {
        let metadata = SnapshotMetadata(index: try image.read(), term: try image.read(), confState: try image.read())
        self.init(metadata: metadata, data: try image.read())
    }
}

@_spi(Checker) extension HardState: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(term)
        image.write(vote)
        image.write(commit)
    }

    public init(image: inout ImageReader) throws {
        self.init(term: try image.read(), vote: try image.read(), commit: try image.read())
    }
}

@_spi(Checker) extension SoftState: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(leader)
        image.write(UInt64(role.rawValue))
    }

    public init(image: inout ImageReader) throws {
        self.init(leader: try image.read(), role: try image.read(Role.self))
    }
}

@_spi(Checker) extension ReadState: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(index)
        image.write(requestContext)
    }

    public init(image: inout ImageReader) throws {
        self.init(index: try image.read(), requestContext: try image.read())
    }
}

@_spi(Checker) extension Message: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(UInt64(type.rawValue))
        image.write(from)
        image.write(to)
        image.write(term)
        image.write(logTerm)
        image.write(index)
        image.write(entries)
        image.write(commit)
        image.write(snapshot)
        image.write(reject)
        image.write(rejectHint)
        image.write(context)
        image.write(campaignTransfer)
    }

    public init(image: inout ImageReader) throws {
        self.init(type: try image.read(MessageType.self), from: try image.read(), to: try image.read(), term: try image.read(),
                  logTerm: try image.read(), index: try image.read(), entries: try image.read(), commit: try image.read(),
                  snapshot: try image.read(), reject: try image.read(), rejectHint: try image.read(), context: try image.read(),
                  campaignTransfer: try image.read())
    }
}

@_spi(Checker) extension Ready: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(softState)
        image.write(hardState)
        image.write(entries)
        image.write(snapshot)
        image.write(committedEntries)
        image.write(messages)
        image.write(readStates)
        image.write(messagesAfterPersist)
        image.write(selfMessages)
        image.write(mustSync)
    }

    public init(image: inout ImageReader) throws {
        self.init()
        softState = try image.read()
        hardState = try image.read()
        entries = try image.read()
        snapshot = try image.read()
        committedEntries = try image.read()
        messages = try image.read()
        readStates = try image.read()
        messagesAfterPersist = try image.read()
        selfMessages = try image.read()
        mustSync = try image.read()
    }
}

@_spi(Checker) extension Config: ImageCodable {
    /// The writer's usual configuration but for ID and applied index (flag 0, then those two),
    /// or every field (flag 1).
    public func write(to image: inout ImageWriter) {
        if var usual = image.usualConfig {
            (usual.id, usual.applied) = (id, applied)
            if usual == self {
                image.write(0 as UInt64)
                image.write(id)
                image.write(applied)
                return
            }
        }
        image.write(1 as UInt64)
        image.write(id)
        image.write(electionTicks)
        image.write(heartbeatTicks)
        image.write(applied)
        image.write(maxSizePerMessage)
        image.write(maxCommittedSizePerReady)
        image.write(maxInflightMessages)
        image.write(checkQuorum)
        image.write(preVote)
        image.write(disableProposalForwarding)
        image.write(stepDownOnRemoval)
        image.write(UInt64(readOnlyOption.rawValue))
        image.write(maxClockDriftTicks)
        image.write(randomSeed)
        image.write(mutations.rawValue)
    }

    public init(image: inout ImageReader) throws {
        let whole: Bool = try image.read()
        guard whole else {
            guard let usual = image.usualConfig else { throw image.error("a configuration written as the usual one, which the reader lacks") }
            self = usual
            (id, applied) = (try image.read(), try image.read())
            return
        }
        self.init(id: try image.read())
        electionTicks = try image.read()
        heartbeatTicks = try image.read()
        applied = try image.read()
        maxSizePerMessage = try image.read()
        maxCommittedSizePerReady = try image.read()
        maxInflightMessages = try image.read()
        checkQuorum = try image.read()
        preVote = try image.read()
        disableProposalForwarding = try image.read()
        stepDownOnRemoval = try image.read()
        readOnlyOption = try image.read(ReadOnlyOption.self)
        maxClockDriftTicks = try image.read()
        randomSeed = try image.read()
        mutations = Mutation(rawValue: try image.read())
    }
}

@_spi(Checker) extension MemoryStorage: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(hardState)
        image.write(latestSnapshot)
        image.write(confState)
        image.write(log)
    }

    public init(image: inout ImageReader) throws {
        self.init()
        hardState = try image.read()
        latestSnapshot = try image.read()
        confState = try image.read()
        log = try image.read()
        guard !log.isEmpty else { throw image.error("a storage without its placeholder entry") }
    }
}

extension Unstable: ImageCodable {
    func write(to image: inout ImageWriter) {
        image.write(snapshot)
        image.write(entries)
        image.write(offset)
    }

    init(image: inout ImageReader) throws {
        self.init(offset: .zero)
        snapshot = try image.read()
        entries = try image.read()
        offset = try image.read()
    }
}

@_spi(Checker) extension RaftLog: ImageCodable where S: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(storage)
        image.write(unstable)
        image.write(committed)
        image.write(applied)
        image.write(applying)
    }

    public init(image: inout ImageReader) throws {
        storage = try image.read()
        unstable = try image.read()
        committed = try image.read()
        applied = try image.read()
        applying = try image.read()
    }
}

@_spi(Checker) extension Inflights: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(capacity)
        image.write(indexes)
    }

    public init(image: inout ImageReader) throws {
        let capacity: Int = try image.read()
        guard capacity > 0 else { throw image.error("an inflight window of capacity \(capacity)") }
        self.init(capacity: capacity)
        indexes = try image.read()
    }
}

@_spi(Checker) extension Progress: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(match)
        image.write(next)
        image.write(UInt64(state.rawValue))
        image.write(pendingSnapshot)
        image.write(recentActive)
        image.write(leaseSent)
        image.write(msgAppFlowPaused)
        image.write(inflights)
        image.write(isLearner)
    }

    public init(image: inout ImageReader) throws {
        match = try image.read()
        next = try image.read()
        state = try image.read(State.self)
        pendingSnapshot = try image.read()
        recentActive = try image.read()
        leaseSent = try image.read()
        msgAppFlowPaused = try image.read()
        inflights = try image.read()
        isLearner = try image.read()
    }
}

@_spi(Checker) extension TrackerConfig: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(voters.incoming.voters)
        image.write(voters.outgoing.voters)
        image.write(learners)
        image.write(learnersNext)
        image.write(autoLeave)
    }

    public init(image: inout ImageReader) throws {
        self.init()
        voters = JointConfig(incoming: MajorityConfig(try image.read()), outgoing: MajorityConfig(try image.read()))
        learners = try image.read()
        learnersNext = try image.read()
        autoLeave = try image.read()
    }
}

@_spi(Checker) extension ProgressTracker.Vote: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(voter)
        image.write(granted)
    }

    public init(image: inout ImageReader) throws {
        self.init(voter: try image.read(), granted: try image.read())
    }
}

@_spi(Checker) extension ProgressTracker: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(config)
        image.write(ids)
        image.write(progresses)
        image.write(votes)
        image.write(maxInflight)
        image.write(countingMutations.rawValue)
    }

    public init(image: inout ImageReader) throws {
        config = try image.read()
        ids = try image.read()
        progresses = try image.read()
        guard ids.count == progresses.count else { throw image.error("\(ids.count) tracked IDs for \(progresses.count) progresses") }
        votes = try image.read()
        maxInflight = try image.read()
        countingMutations = Mutation(rawValue: try image.read())
    }
}

@_spi(Checker) extension ReadOnly.Request: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(round)
        image.write(index)
        image.write(from)
        image.write(requestContext)
        image.write(acks)
    }

    public init(image: inout ImageReader) throws {
        self.init(round: try image.read(), index: try image.read(), from: try image.read(), requestContext: try image.read(),
                  acks: try image.read())
    }
}

@_spi(Checker) extension ReadOnly: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(lastRound)
        image.write(pending)
    }

    public init(image: inout ImageReader) throws {
        self.init()
        lastRound = try image.read()
        pending = try image.read()
    }
}

@_spi(Checker) extension CoreFault: ImageCodable {
    public func write(to image: inout ImageWriter) {
        switch self {
        case let .commitBeyondLastIndex(commit, lastIndex):
            image.write(0 as UInt64)
            image.write(commit)
            image.write(lastIndex)
        case let .conflictAtOrBelowCommit(index, committed):
            image.write(1 as UInt64)
            image.write(index)
            image.write(committed)
        }
    }

    public init(image: inout ImageReader) throws {
        switch try image.read() as UInt64 {
        case 0: self = .commitBeyondLastIndex(commit: try image.read(), lastIndex: try image.read())
        case 1: self = .conflictAtOrBelowCommit(index: try image.read(), committed: try image.read())
        case let kind: throw image.error("no core fault numbered \(kind)")
        }
    }
}

@_spi(Checker) extension Raft: ImageCodable where S: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(options)
        image.write(term)
        image.write(vote)
        image.write(leader)
        image.write(UInt64(role.rawValue))
        image.write(log)
        image.write(tracker)
        image.write(messages)
        image.write(messagesAfterPersist)
        image.write(electionElapsed)
        image.write(heartbeatElapsed)
        image.write(randomizedElectionTimeout)
        image.write(rng.state)
        image.write(fault)
        image.write(pendingConfIndex)
        image.write(leadTransferee)
        image.write(readOnly)
        image.write(pendingReadIndexMessages)
        image.write(readStates)
        image.write(leaseClock)
        image.write(leaseForfeited)
        image.write(quietSinceStart)
    }

    public init(image: inout ImageReader) throws {
        options = try image.read()
        id = options.id
        term = try image.read()
        vote = try image.read()
        leader = try image.read()
        role = try image.read(Role.self)
        log = try image.read()
        tracker = try image.read()
        messages = try image.read()
        messagesAfterPersist = try image.read()
        electionElapsed = try image.read()
        heartbeatElapsed = try image.read()
        randomizedElectionTimeout = try image.read()
        rng = SplitMix64(seed: try image.read())
        fault = try image.read()
        pendingConfIndex = try image.read()
        leadTransferee = try image.read()
        readOnly = try image.read()
        pendingReadIndexMessages = try image.read()
        readStates = try image.read()
        leaseClock = try image.read()
        leaseForfeited = try image.read()
        quietSinceStart = try image.read()
    }
}

@_spi(Checker) extension RawNode: ImageCodable where S: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(raft)
        image.write(lastSoftState)
        image.write(lastHardState)
        image.write(awaitingAdvance)
    }

    public init(image: inout ImageReader) throws {
        raft = try image.read()
        lastSoftState = try image.read()
        lastHardState = try image.read()
        awaitingAdvance = try image.read()
    }
}
