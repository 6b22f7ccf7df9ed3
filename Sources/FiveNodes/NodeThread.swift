import Foundation
import RaftCore

/// One node of the example: a RaftCore `RawNode` driven by its own thread the way a real
/// application drives it: tick on a timer, step what arrives, carry out every Ready in order.
/// Its state machine is a map of keys to values. Every `snapshotEvery` applied entries it
/// snapshots the map and compacts its log, so a member added later catches up from a snapshot.
struct NodeThread {
    let id: NodeID
    let mailboxes: [NodeID: Mailbox]
    let status: NodeStatus
    let tickInterval: TimeInterval
    let snapshotEvery: UInt64 = 4

    func run(campaignAtStart: Bool) {
        let mailbox = mailboxes[id]!
        // The first node bootstraps a one-voter cluster; the others are added by configuration
        // changes and come to life, with empty storage, on their first message.
        var node: RawNode<MemoryStorage>? = campaignAtStart ? makeNode(storage: MemoryStorage(bootstrapping: [id])) : nil
        var store: [String: String] = [:]
        var applied = LogIndex.zero
        // Reads confirmed by the core, served once the map has applied up to their index.
        var pendingReads: [ReadState] = []
        var campaigned = false
        var nextTick = Date().addingTimeInterval(tickInterval)

        while true {
            let (commands, stopped) = mailbox.drain(waitingUntil: nextTick)
            if stopped { return }
            for command in commands {
                switch command {
                case .message(let message):
                    if node == nil { node = makeNode(storage: MemoryStorage()) }
                    do { try node!.step(message) } catch { status.fail("node \(id) refused \(message): \(error)") }
                case .propose(let data):
                    // A dropped proposal is retried by the client, as with any Raft.
                    try? node?.propose(data)
                case .proposeConfChange(let change):
                    try? node?.proposeConfChange(change)
                case .read(let context):
                    try? node?.readIndex(requestContext: context)
                }
            }
            if Date() >= nextTick {
                node?.tick()
                nextTick = nextTick.addingTimeInterval(tickInterval)
            }
            guard var current = node else { continue }
            while current.hasReady {
                let rd = current.ready()
                send(rd.messages, from: &current)
                do {
                    if let snapshot = rd.snapshot {
                        try current.storage.applySnapshot(snapshot)
                        store = try JSONDecoder().decode([String: String].self, from: Data(snapshot.data))
                        applied = snapshot.metadata.index
                        status.update { $0.snapshotsInstalled += 1 }
                    }
                } catch {
                    status.fail("node \(id) cannot install a snapshot: \(error)")
                }
                // A disk-backed storage writes these durably (fsync) when `rd.mustSync` is set;
                // memory has nothing to sync.
                current.storage.append(rd.entries)
                if let hardState = rd.hardState { current.storage.setHardState(hardState) }
                send(rd.messagesAfterPersist, from: &current)
                for entry in rd.committedEntries {
                    if entry.kind == .confChange {
                        applyConfChange(entry.data, to: &current)
                    } else if !entry.data.isEmpty {
                        apply(entry.data, to: &store)
                    }
                    applied = entry.index
                }
                pendingReads += rd.readStates
                current.advance(rd)
                if applied.rawValue >= current.storage.firstIndex.rawValue + snapshotEvery { compact(&current, at: applied, store) }
            }
            // A read is served once the map holds everything committed when it was asked.
            let ready = pendingReads.filter { $0.index <= applied }
            pendingReads.removeAll { $0.index <= applied }
            if let fault = current.raft.fault { status.fail("node \(id): \(fault)") }
            // The first node campaigns once it has applied its bootstrap configuration.
            if campaignAtStart && !campaigned && current.status.applied == current.status.commit {
                current.campaign()
                campaigned = true
            }
            node = current
            let snapshot = current.status
            status.update { published in
                published.role = snapshot.role
                published.store = store
                published.voters = snapshot.configuration.voters
                for read in ready { published.reads[read.requestContext] = store.count }
            }
        }
    }

    private func makeNode(storage: MemoryStorage) -> RawNode<MemoryStorage> {
        var config = Config(id: id)
        config.electionTicks = 10
        config.heartbeatTicks = 1
        config.checkQuorum = true
        config.preVote = true
        config.randomSeed = 42
        // The configuration was validated by hand; a failure here is a programming error.
        return try! RawNode(config: config, storage: storage)
    }

    /// Posts each message to its node. The mailboxes never lose one, so a snapshot sent is a
    /// snapshot delivered: the leader hears so at once.
    private func send(_ messages: [Message], from node: inout RawNode<MemoryStorage>) {
        for message in messages {
            mailboxes[message.to]?.post(.message(message))
            if message.type == .snapshot { node.reportSnapshot(to: message.to, failed: false) }
        }
    }

    /// Snapshots the map at `index` (everything applied) and drops the log before it.
    private func compact(_ node: inout RawNode<MemoryStorage>, at index: LogIndex, _ store: [String: String]) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        do {
            _ = try node.storage.createSnapshot(at: index, data: Array(try encoder.encode(store)))
            try node.storage.compact(to: index)
        } catch {
            status.fail("node \(id) cannot compact at \(index): \(error)")
        }
    }

    /// Applies a committed membership change and persists the configuration it produced.
    private func applyConfChange(_ data: [UInt8], to node: inout RawNode<MemoryStorage>) {
        guard let change = ConfChange(encoded: data) else {
            status.fail("node \(id) cannot decode a configuration change")
            return
        }
        do {
            let conf = try node.applyConfChange(change)
            node.storage.setConfState(conf)
        } catch {
            status.fail("node \(id) cannot apply \(change): \(error)")
        }
    }

    /// Applies `put <key> <value>`.
    private func apply(_ data: [UInt8], to store: inout [String: String]) {
        let words = String(decoding: data, as: UTF8.self).split(separator: " ")
        guard words.count == 3, words[0] == "put" else {
            status.fail("node \(id) cannot apply \(String(decoding: data, as: UTF8.self))")
            return
        }
        store[String(words[1])] = String(words[2])
    }
}
