import Testing
import RaftCore

/// The Ready loop exactly as the README shows it, run on three nodes that pass messages
/// through in-memory queues: the bootstrap configuration is applied, a leader is elected, a proposal and a read go through, and every
/// node applies the value.
@Suite struct ReadyLoopTests {
    @Test func theReadmeLoopReplicatesAndReads() throws {
        var nodes: [RawNode<MemoryStorage>] = try (1...3).map { id in
            var config = Config(id: NodeID(UInt64(id)))
            config.preVote = true
            config.checkQuorum = true
            return try RawNode(config: config, storage: MemoryStorage(bootstrapping: [1, 2, 3]))
        }
        var queue: [Message] = []
        var applied: [[UInt8]] = [[], [], []]
        var served: [ReadState] = []

        // The README's loop, for node `i`.
        func drain(_ i: Int) throws {
            func send(_ messages: [Message]) { queue += messages }
            var node = nodes[i]
            func apply(_ entry: Entry) throws {
                if entry.kind == .confChange, let change = ConfChange(encoded: entry.data) {
                    node.storage.setConfState(try node.applyConfChange(change))
                } else if !entry.data.isEmpty {
                    applied[i] += entry.data
                }
            }
            func serveRead(_ read: ReadState) { served.append(read) }
            while node.hasReady {
                let rd = node.ready()
                send(rd.messages)
                if let snapshot = rd.snapshot { try node.storage.applySnapshot(snapshot) }
                node.storage.append(rd.entries)
                if let hardState = rd.hardState { node.storage.setHardState(hardState) }
                send(rd.messagesAfterPersist)
                for entry in rd.committedEntries { try apply(entry) }
                for read in rd.readStates { serveRead(read) }
                node.advance(rd)
            }
            nodes[i] = node
        }
        func settle() throws {
            repeat {
                for i in nodes.indices { try drain(i) }
                let batch = queue
                queue.removeAll()
                for message in batch { try nodes[Int(message.to.rawValue) - 1].step(message) }
            } while !queue.isEmpty || nodes.contains(where: \.hasReady)
        }

        // The bootstrap configuration is committed; a node campaigns only once it is applied.
        try settle()
        nodes[0].campaign()
        try settle()
        #expect(nodes[0].raft.role == .leader)
        try nodes[0].propose([42])
        try settle()
        #expect(applied == [[42], [42], [42]])
        let status = nodes[0].status
        #expect(status.role == .leader && status.leader == 1 && status.commit == status.lastIndex && status.applied == status.commit)
        #expect(status.progress.map(\.id) == [1, 2, 3] && status.progress.allSatisfy { $0.match == status.lastIndex })
        #expect(nodes[1].status.progress.isEmpty && nodes[1].status.leader == 1 && nodes[1].status.term == status.term)
        try nodes[0].readIndex(requestContext: 7)
        try settle()
        #expect(served.map(\.requestContext) == [7])
    }
}
