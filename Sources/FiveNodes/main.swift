import Foundation
import RaftCore

// The five-node example: five RaftCore nodes, each on its own thread with a mailbox, real
// ticks on a timer. Node 1 bootstraps a one-node cluster and campaigns once it has applied its
// configuration; nodes 2–5 are added one at a time by configuration changes and come to life
// on their first message (the later ones catch up from a snapshot: every node compacts its
// log as it applies). Then 100 proposals `put key<i> value<i>` are committed and applied to
// every node's map, the five maps must be equal, and a linearizable read on the leader must
// see all 100 keys. Prints `all 5 nodes applied 100 proposals` last and exits 0, or says what
// differed and exits 1 (also after 60 s without finishing).

let proposalCount = 100
let ids = (1...5).map { NodeID(UInt64($0)) }
let mailboxes = Dictionary(uniqueKeysWithValues: ids.map { ($0, Mailbox()) })
let statuses = Dictionary(uniqueKeysWithValues: ids.map { ($0, NodeStatus()) })
let expected = Dictionary(uniqueKeysWithValues: (1...proposalCount).map { ("key\($0)", "value\($0)") })

for id in ids {
    let node = NodeThread(id: id, mailboxes: mailboxes, status: statuses[id]!, tickInterval: 0.01)
    let thread = Thread { node.run(campaignAtStart: id == ids[0]) }
    thread.name = "node-\(id)"
    thread.start()
}

func finish(_ code: Int32, _ line: String) -> Never {
    for mailbox in mailboxes.values { mailbox.stop() }
    print(line)
    exit(code)
}

let readContext: UInt64 = 1
let deadline = Date().addingTimeInterval(60)
var lastProposal = Date.distantPast
while Date() < deadline {
    let published = ids.map { statuses[$0]!.current }
    if let failure = published.lazy.compactMap(\.failure).first {
        finish(1, "failure: \(failure)")
    }
    let leader = ids.indices.first { published[$0].role == .leader }
    let replicated = published.allSatisfy { $0.store == expected && $0.voters == ids }
    if replicated, let keys = published.lazy.compactMap({ $0.reads[readContext] }).first {
        guard keys == proposalCount else { finish(1, "failure: a linearizable read saw \(keys) keys, not \(proposalCount)") }
        print("a linearizable read on the leader saw \(keys) keys; snapshots installed: \(published.map(\.snapshotsInstalled))")
        finish(0, "all 5 nodes applied \(proposalCount) proposals")
    }
    // Every second, (re)propose what the leader has not applied yet: the next member to add
    // (one change at a time), then the puts, then the read. A proposal can be dropped or lost
    // across a leader change; adding a voter twice and `put` are idempotent, so a repeat is
    // harmless.
    if Date().timeIntervalSince(lastProposal) >= 1, let leader {
        let mailbox = mailboxes[ids[leader]]!
        if let missing = ids.first(where: { !published[leader].voters.contains($0) }) {
            mailbox.post(.proposeConfChange(ConfChange([ConfChangeSingle(.addVoter, missing)])))
        } else if !replicated {
            for i in 1...proposalCount where published[leader].store["key\(i)"] == nil {
                mailbox.post(.propose(Array("put key\(i) value\(i)".utf8)))
            }
        } else {
            mailbox.post(.read(context: readContext))
        }
        lastProposal = Date()
    }
    Thread.sleep(forTimeInterval: 0.01)
}

var report = ["timed out after 60 s:"]
for id in ids {
    let node = statuses[id]!.current
    let missing = expected.keys.filter { node.store[$0] != expected[$0] }.sorted()
    report.append("  node \(id): role \(node.role), voters \(node.voters), \(node.store.count) keys, \(missing.count) missing or wrong\(missing.isEmpty ? "" : " (first: \(missing[0]))")")
}
finish(1, report.joined(separator: "\n"))
