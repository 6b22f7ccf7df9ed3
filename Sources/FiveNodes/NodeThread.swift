import Foundation
import RaftCore

/// One node of the example: a RaftCore `RawNode` driven by its own thread the way a real
/// application drives it: tick on a timer, step what arrives, carry out every Ready in order.
struct NodeThread {
    let id: NodeID
    let voters: [NodeID]
    let mailboxes: [NodeID: Mailbox]
    let status: NodeStatus
    let tickInterval: TimeInterval

    func run(campaignAtStart: Bool) {
        let mailbox = mailboxes[id]!
        // Nodes other than the first come to life on their first message.
        var node: RawNode<MemoryStorage>? = campaignAtStart ? makeNode() : nil
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
                    if node == nil { node = makeNode() }
                    do { try node!.step(message) } catch { status.fail("node \(id) refused \(message): \(error)") }
                case .propose(let data):
                    // A dropped proposal is retried by the client, as with any Raft.
                    try? node?.propose(data)
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
                for entry in rd.committedEntries where entry.kind == .normal && !entry.data.isEmpty {
                    apply(entry.data, to: &store)
                    applied += 1
                }
                current.advance(rd)
            }
            if let fault = current.raft.fault { status.fail("node \(id): \(fault)") }
            node = current
            status.publish(role: current.raft.role, store: store, applied: applied)
        }
    }

    private func makeNode() -> RawNode<MemoryStorage> {
        var config = Config(id: id)
        config.electionTicks = 10
        config.heartbeatTicks = 1
        config.checkQuorum = true
        config.preVote = true
        config.randomSeed = 42
        // The configuration was validated by hand; a failure here is a programming error.
        return try! RawNode(config: config, storage: MemoryStorage(confState: ConfState(voters: voters)))
    }

    private func send(_ messages: [Message]) {
        for message in messages { mailboxes[message.to]?.post(.message(message)) }
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
