@_spi(Checker) import RaftCore

/// A cluster state's binary image (RaftCore's `ImageWriter` format): every node whole (its
/// RaftCore state, or only its storage while down; its Ready in progress; its state machine),
/// the network and the ghost variables. The explorer keeps BFS frontiers and checkpoints this
/// way; decoding seals the nodes, so the state is one `nextState` could have made.
extension ClusterModel {
    public func encode(_ state: ClusterState, into bytes: inout [UInt8]) {
        var image = ImageWriter(usualConfig: spec.config(for: NodeID(1)))
        image.write(state)
        image.append(to: &bytes)
    }

    public func decode(_ bytes: UnsafeRawBufferPointer) throws -> ClusterState {
        var image = ImageReader(bytes, usualConfig: spec.config(for: NodeID(1)))
        var state: ClusterState = try image.read()
        guard image.isAtEnd else { throw image.error("bytes after the state") }
        guard state.nodes.count == spec.nodeIDs.count else {
            throw image.error("\(state.nodes.count) nodes where the spec has \(spec.nodeIDs.count)")
        }
        seal(&state)
        return state
    }
}

@_spi(Checker) extension ClusterState: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(nodes)
        image.write(network)
        image.write(counters)
        image.write(history)
        image.write(reads)
        image.write(UInt64(partition))
        image.write(clocks)
        image.write(calm)
    }

    public init(image: inout ImageReader) throws {
        self.init(nodes: try image.read())
        network = try image.read()
        counters = try image.read()
        history = try image.read()
        reads = try image.read()
        partition = try image.byte()
        clocks = try image.read()
        calm = try image.read()
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
        reached = Milestones(rawValue: try image.byte())
    }
}

@_spi(Checker) extension PendingRead: ImageCodable {
    public func write(to image: inout ImageWriter) {
        image.write(node)
        image.write(context)
        image.write(committedBefore)
        image.write(index)
    }

    public init(image: inout ImageReader) throws {
        self.init(node: try image.read(), context: try image.read(), committedBefore: try image.read(), index: try image.read())
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
