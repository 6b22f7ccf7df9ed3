import Foundation
import RaftCore

// The five-node example: five RaftCore nodes, each on its own thread with a mailbox, real
// ticks on a timer. Node 1 bootstraps a one-node cluster and campaigns at once; nodes 2–5 are
// added one at a time by configuration changes and come to life on their first message.
// Then 100 proposals `put key<i> value<i>` are committed and applied to every node's map, and the
// five maps must be equal. Prints `all 5 nodes applied 100 proposals` and exits 0, or says
// what differed and exits 1 (also after 60 s without finishing).

let proposalCount = 100
let ids = (1...5).map { NodeID(UInt64($0)) }
let mailboxes = Dictionary(uniqueKeysWithValues: ids.map { ($0, Mailbox()) })
let statuses = Dictionary(uniqueKeysWithValues: ids.map { ($0, NodeStatus()) })
let expected = Dictionary(uniqueKeysWithValues: (1...proposalCount).map { ("key\($0)", "value\($0)") })

var threads: [Thread] = []
for id in ids {
    let node = NodeThread(id: id, mailboxes: mailboxes, status: statuses[id]!, tickInterval: 0.01)
    let thread = Thread { node.run(campaignAtStart: id == ids[0]) }
    thread.name = "node-\(id)"
    threads.append(thread)
    thread.start()
}

func finish(_ code: Int32, _ line: String) -> Never {
    for mailbox in mailboxes.values { mailbox.stop() }
    print(line)
    exit(code)
}

let deadline = Date().addingTimeInterval(60)
var lastProposal = Date.distantPast
while Date() < deadline {
    if let failure = ids.lazy.compactMap({ statuses[$0]!.failure }).first {
        finish(1, "failure: \(failure)")
    }
    let stores = ids.map { statuses[$0]!.store }
    if stores.allSatisfy({ $0 == expected }) && ids.allSatisfy({ statuses[$0]!.voters == ids }) {
        finish(0, "all 5 nodes applied \(proposalCount) proposals")
    }
    // Every second, (re)propose what the leader has not applied yet: the next member to add
    // (one change at a time), then the puts. A proposal can be dropped or lost across a leader
    // change; adding a voter twice and `put` are idempotent, so a repeat is harmless.
    if Date().timeIntervalSince(lastProposal) >= 1,
       let leader = ids.first(where: { statuses[$0]!.role == .leader }) {
        let voters = statuses[leader]!.voters
        if let missing = ids.first(where: { !voters.contains($0) }) {
            mailboxes[leader]!.post(.proposeConfChange(ConfChange([ConfChangeSingle(.addVoter, missing)])))
        } else {
            let applied = statuses[leader]!.store
            for i in 1...proposalCount where applied["key\(i)"] == nil {
                mailboxes[leader]!.post(.propose(Array("put key\(i) value\(i)".utf8)))
            }
        }
        lastProposal = Date()
    }
    Thread.sleep(forTimeInterval: 0.01)
}

var report = ["timed out after 60 s:"]
for id in ids {
    let store = statuses[id]!.store
    let missing = expected.keys.filter { store[$0] != expected[$0] }.sorted()
    report.append("  node \(id): role \(statuses[id]!.role), voters \(statuses[id]!.voters), \(store.count) keys, \(missing.count) missing or wrong\(missing.isEmpty ? "" : " (first: \(missing[0]))")")
}
finish(1, report.joined(separator: "\n"))
