import CXXHash
@_spi(Checker) import RaftCore
import RaftExplorer
#if canImport(Glibc)
import Glibc
#endif

/// A cluster state's binary image (RaftCore's `ImageWriter` format): every node whole, each in
/// a frame (its RaftCore state, or only its storage while down; its Ready in progress; its
/// state machine), then the network and the ghost variables. The explorer keeps BFS queues and
/// checkpoints this way; decoding seals the nodes, so the state is one `nextState` could have
/// made.
extension ClusterModel {
    /// 2: the snapshots the application has not reported yet. 3: milestones take 16 bits, and
    /// a Ready under way fingerprints its read states. 4: a read asked after `stabilize` holds
    /// its round and term.
    public static var imageVersion: Int { 4 }

    /// Nodes first, each a frame; a node whose box the thread encoded lately is copied from
    /// the memo (successors of one state share the boxes of the nodes an event left alone).
    public func encode(_ state: ClusterState, into bytes: inout [UInt8], scratch: ImageScratch) {
        let memo = ImageMemo.of(scratch)
        var image = ImageWriter(usualConfig: usualConfig)
        image.write(UInt64(state.nodes.count))
        for slot in state.nodes.indices {
            let box = state.nodes[slot].box
            if let frame = memo.frame(slot, of: box) {
                frame.withUnsafeBytes { image.writeRaw($0) }
            } else {
                let start = image.count
                image.writeFrame(state.nodes[slot])
                memo.remember(slot, box: box, frame: image.bytes(from: start))
            }
        }
        image.write(state.network)
        image.write(state.counters)
        image.write(state.history)
        image.write(state.reads)
        image.write(UInt64(state.partition))
        image.write(state.clocks)
        image.write(state.calm)
        image.write(state.unreportedSnapshots)
        image.append(to: &bytes)
    }

    /// A node whose frame the thread decoded lately is shared from the memo (states queued one
    /// after another are mostly siblings), so it is neither decoded nor sealed again.
    public func decode(_ bytes: UnsafeRawBufferPointer, scratch: ImageScratch) throws -> ClusterState {
        let memo = ImageMemo.of(scratch)
        var image = ImageReader(bytes, usualConfig: usualConfig)
        let count = try image.count()
        guard count == spec.nodes else { throw image.error("\(count) nodes where the spec has \(spec.nodes)") }
        var nodes: [SimNode] = []
        var frames: [(slot: Int, frame: [UInt8], hash: UInt64)] = []
        for slot in 0..<count {
            let frame = try image.frame()
            let hash = ImageMemo.hash(frame)
            if let node = memo.node(slot, framed: frame, hash: hash) {
                nodes.append(node)
            } else {
                nodes.append(try ImageReader.read(frame: frame, usualConfig: usualConfig))
                frames.append((slot, Array(frame), hash))
            }
        }
        var state = ClusterState(nodes: nodes)
        state.network = try image.read()
        state.counters = try image.read()
        state.history = try image.read()
        state.reads = try image.read()
        state.partition = try image.byte()
        state.clocks = try image.read()
        state.calm = try image.read()
        state.unreportedSnapshots = try image.read()
        guard image.isAtEnd else { throw image.error("bytes after the state") }
        seal(&state)
        for (slot, frame, hash) in frames { memo.remember(slot, frame: frame, hash: hash, node: state.nodes[slot]) }
        return state
    }
}

/// The node images one thread wrote or read lately, by slot: boxes with their frames
/// (encoding), and frames with their sealed nodes (decoding), each in a direct-mapped table of
/// `ways` entries (a box by its address, a frame by its XXH3 hash); a clash keeps the newer.
/// Which entries survive changes only the work done, never a result.
final class ImageMemo {
    static let ways = 512

    private struct Slot {
        var written = [(box: SimNode.Box, frame: [UInt8])?](repeating: nil, count: ImageMemo.ways)
        var read = [(hash: UInt64, frame: [UInt8], node: SimNode)?](repeating: nil, count: ImageMemo.ways)
    }

    private var slots: [Slot] = []

    static func of(_ scratch: ImageScratch) -> ImageMemo {
        if let memo = scratch.memo { return unsafeDowncast(memo, to: ImageMemo.self) }
        let memo = ImageMemo()
        scratch.memo = memo
        return memo
    }

    private static func way(of box: SimNode.Box) -> Int {
        let address = UInt(bitPattern: Unmanaged.passUnretained(box).toOpaque())
        return Int(truncatingIfNeeded: (UInt64(address) &* 0x9E37_79B9_7F4A_7C15) >> 40) % ways
    }

    /// A frame's key in the decoding table.
    static func hash(_ frame: UnsafeRawBufferPointer) -> UInt64 { XXH3_64bits(frame.baseAddress, frame.count) }

    private static func way(ofHash hash: UInt64) -> Int { Int(truncatingIfNeeded: hash >> 40) % ways }

    func frame(_ slot: Int, of box: SimNode.Box) -> [UInt8]? {
        guard slot < slots.count, let entry = slots[slot].written[Self.way(of: box)], entry.box === box else { return nil }
        return entry.frame
    }

    /// The node decoded lately from `frame`, whose `hash` is given.
    func node(_ slot: Int, framed frame: UnsafeRawBufferPointer, hash: UInt64) -> SimNode? {
        guard slot < slots.count, let entry = slots[slot].read[Self.way(ofHash: hash)], entry.hash == hash,
              entry.frame.count == frame.count,
              entry.frame.withUnsafeBytes({ memcmp($0.baseAddress!, frame.baseAddress!, frame.count) == 0 }) else { return nil }
        return entry.node
    }

    func remember(_ slot: Int, box: SimNode.Box, frame: [UInt8]) {
        ensure(slot)
        slots[slot].written[Self.way(of: box)] = (box, frame)
    }

    func remember(_ slot: Int, frame: [UInt8], hash: UInt64, node: SimNode) {
        ensure(slot)
        slots[slot].read[Self.way(ofHash: hash)] = (hash, frame, node)
    }

    private func ensure(_ slot: Int) {
        while slots.count <= slot { slots.append(Slot()) }
    }
}

@_spi(Checker) extension SimNode: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(isUp)
        if isUp { image.write(box.upNode) } else { image.write(box.durable) }
        image.write(pending?.ready)
        image.write(UInt64(pending?.stage.rawValue ?? 0))
        image.write(applied)
    }

    public init(image: inout ImageReader) throws {
        let isUp: Bool = try image.read()
        let node: RawNode<MemoryStorage>? = isUp ? try image.read() as RawNode<MemoryStorage> : nil
        let durable = isUp ? MemoryStorage() : try image.read() as MemoryStorage
        let ready: Ready? = try image.read()
        let stage = try image.read(Stage.self)
        let pending = ready.map { Pending(ready: $0, stage: stage) }
        self.init(parts: Parts(node: node, durable: durable, pending: pending, applied: try image.read()))
    }
}

@_spi(Checker) extension Counters: ImageCodable {
    public func write(to image: inout ImageWriter) {
        for count in [proposals, crashes, restarts, drops, duplicates, partitions, reads, confChanges, compactions, transfers, unreachables] {
            image.write(UInt64(count))
        }
    }

    public init(image: inout ImageReader) throws {
        self.init()
        proposals = try image.byte()
        crashes = try image.byte()
        restarts = try image.byte()
        drops = try image.byte()
        duplicates = try image.byte()
        partitions = try image.byte()
        reads = try image.byte()
        confChanges = try image.byte()
        compactions = try image.byte()
        transfers = try image.byte()
        unreachables = try image.byte()
    }
}

@_spi(Checker) extension History.Voters: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(UInt64(incoming))
        image.write(UInt64(outgoing))
    }

    public init(image: inout ImageReader) throws {
        self.init(incoming: try image.byte(), outgoing: try image.byte())
    }
}

@_spi(Checker) extension History.Committed: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(entry)
        image.write(term)
        image.write(before)
        image.write(after)
    }

    public init(image: inout ImageReader) throws {
        self.init(entry: try image.read(), term: try image.read(), before: try image.read(), after: try image.read())
    }
}

@_spi(Checker) extension History.TermLeader: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(term)
        image.write(leader)
    }

    public init(image: inout ImageReader) throws {
        self.init(term: try image.read(), leader: try image.read())
    }
}

@_spi(Checker) extension History: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(committed)
        image.write(leaders)
        image.write(UInt64(broken.rawValue))
        image.write(UInt64(reached.rawValue))
    }

    public init(image: inout ImageReader) throws {
        self.init()
        committed = try image.read()
        leaders = try image.read()
        broken = BrokenTransition(rawValue: try image.byte())
        reached = Milestones(rawValue: try image.word())
    }
}

@_spi(Checker) extension PendingRead: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(node)
        image.write(context)
        image.write(committedBefore)
        image.write(UInt64(round))
        image.write(term)
        image.write(index)
    }

    public init(image: inout ImageReader) throws {
        self.init(node: try image.read(), context: try image.read(), committedBefore: try image.read(),
                  round: try image.word(), term: try image.read(), index: try image.read())
    }
}

@_spi(Checker) extension Calm: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(UInt64(round))
        image.write(UInt64(ticked))
        image.write(settling)
        image.write(leader)
        image.write(leaderTerm)
        image.write(UInt64(leaderSince))
        image.write(UInt64(missed.rawValue))
    }

    public init(image: inout ImageReader) throws {
        self.init()
        round = try image.word()
        ticked = try image.byte()
        settling = try image.read()
        leader = try image.read()
        leaderTerm = try image.read()
        leaderSince = try image.word()
        missed = Missed(rawValue: try image.byte())
    }
}

extension ImageReader {
    /// A varint that must fit a byte.
    mutating func byte() throws -> UInt8 {
        let raw: UInt64 = try read()
        guard let value = UInt8(exactly: raw) else { throw error("\(raw) does not fit a byte") }
        return value
    }

    /// A varint that must fit 16 bits.
    mutating func word() throws -> UInt16 {
        let raw: UInt64 = try read()
        guard let value = UInt16(exactly: raw) else { throw error("\(raw) does not fit 16 bits") }
        return value
    }
}
