import Foundation
import RaftCore

/// One node of the example: a RaftCore `RawNode` driven by its own thread the way a real
/// application drives it: tick on a timer, step what arrives, carry out every Ready in order.
struct NodeThread {
    let id: NodeID
    let mailboxes: [NodeID: Mailbox]
    let status: NodeStatus
    let tickInterval: TimeInterval

    func run(campaignAtStart: Bool) {
        let mailbox = mailboxes[id]!
        // The first node bootstraps a one-voter cluster; the others are added by configuration
        // changes and come to life, with empty storage, on their first message.
        var node: RawNode<MemoryStorage>? = campaignAtStart ? makeNode(storage: MemoryStorage(bootstrapping: [id])) : nil
        if campaignAtStart { node?.campaign() }
        var store: [String: String] = [:]
        var applied = 0
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
                }
            }
            if Date() >= nextTick {
                node?.tick()
                nextTick = nextTick.addingTimeInterval(tickInterval)
            }
            guard var current = node else { continue }
            while current.hasReady {
                let rd = current.ready()
                send(rd.messages)
                if !rd.entries.isEmpty { current.storage.append(rd.entries) }
                if let hardState = rd.hardState { current.storage.setHardState(hardState) }
                send(rd.messagesAfterPersist)
                for entry in rd.committedEntries where !entry.data.isEmpty {
                    if entry.kind == .confChange {
                        applyConfChange(entry.data, to: &current)
                    } else {
                        apply(entry.data, to: &store)
                        applied += 1
                    }
                }
                current.advance(rd)
            }
            if let fault = current.raft.fault { status.fail("node \(id): \(fault)") }
            node = current
            status.publish(role: current.raft.role, store: store, applied: applied,
                           voters: current.raft.tracker.config.voters.voters)
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

    private func send(_ messages: [Message]) {
        for message in messages { mailboxes[message.to]?.post(.message(message)) }
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
