import Dispatch
import Foundation
import RaftCore
import Synchronization

/// What a node thread is asked to do.
enum Command: Sendable {
    case message(Message)
    case propose([UInt8])
    case proposeConfChange(ConfChange)
    /// A linearizable read of the whole map, tagged by the caller.
    case read(context: UInt64)
}

/// A node's inbox: other threads post, the node's own thread waits and drains.
final class Mailbox: Sendable {
    private let queue = Mutex<(commands: [Command], stopped: Bool)>(([], false))
    /// Signalled once per post (a drain may then find nothing left: it takes everything).
    private let wakeup = DispatchSemaphore(value: 0)

    func post(_ command: Command) {
        queue.withLock { $0.commands.append(command) }
        wakeup.signal()
    }

    func stop() {
        queue.withLock { $0.stopped = true }
        wakeup.signal()
    }

    /// Waits until something is posted or `deadline` passes; returns what was posted and
    /// whether the node must stop.
    func drain(waitingUntil deadline: Date) -> (commands: [Command], stopped: Bool) {
        _ = wakeup.wait(timeout: .now() + max(0, deadline.timeIntervalSinceNow))
        return queue.withLock { queue in
            defer { queue.commands.removeAll() }
            return (queue.commands, queue.stopped)
        }
    }
}

/// What a node thread publishes for the main thread to watch.
final class NodeStatus: Sendable {
    struct Published: Sendable {
        var role = Role.follower
        var store: [String: String] = [:]
        /// The voters of the configuration this node has applied.
        var voters: [NodeID] = []
        /// Snapshots this node installed from its leader.
        var snapshotsInstalled = 0
        /// Linearizable reads served: the caller's tag and how many keys the map held.
        var reads: [UInt64: Int] = [:]
        var failure: String?
    }

    private let state = Mutex(Published())

    func update(_ body: (inout Published) -> Void) { state.withLock { body(&$0) } }
    func fail(_ reason: String) { state.withLock { $0.failure = $0.failure ?? reason } }
    var current: Published { state.withLock { $0 } }
}
