import Foundation
import RaftCore

/// What a node thread is asked to do.
enum Command: Sendable {
    case message(Message)
    case propose([UInt8])
    case proposeConfChange(ConfChange)
}

/// A node's inbox: other threads post, the node's own thread waits and drains.
final class Mailbox: @unchecked Sendable {
    private let condition = NSCondition()
    private var commands: [Command] = []  // guarded by `condition`
    private var stopped = false  // guarded by `condition`

    func post(_ command: Command) {
        condition.lock()
        commands.append(command)
        condition.signal()
        condition.unlock()
    }

    func stop() {
        condition.lock()
        stopped = true
        condition.signal()
        condition.unlock()
    }

    /// Waits until something is posted or `deadline` passes; returns what was posted and
    /// whether the node must stop.
    func drain(waitingUntil deadline: Date) -> (commands: [Command], stopped: Bool) {
        condition.lock()
        defer { condition.unlock() }
        while commands.isEmpty && !stopped && condition.wait(until: deadline) {}
        let drained = commands
        commands.removeAll()
        return (drained, stopped)
    }
}

/// What a node thread publishes for the main thread to watch.
final class NodeStatus: @unchecked Sendable {
    private let lock = NSLock()
    private var _role = Role.follower
    private var _store: [String: String] = [:]
    private var _applied = 0
    private var _voters: [NodeID] = []
    private var _failure: String?

    func publish(role: Role, store: [String: String], applied: Int, voters: [NodeID]) {
        lock.withLock {
            _role = role
            _store = store
            _applied = applied
            _voters = voters
        }
    }

    func fail(_ reason: String) { lock.withLock { _failure = reason } }

    var role: Role { lock.withLock { _role } }
    var store: [String: String] { lock.withLock { _store } }
    var applied: Int { lock.withLock { _applied } }
    /// The voters of the configuration this node has applied.
    var voters: [NodeID] { lock.withLock { _voters } }
    var failure: String? { lock.withLock { _failure } }
}
