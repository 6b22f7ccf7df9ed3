/// A linearizability checker for a key-value history: Wing & Gong's search with Lowe's cache
/// (the algorithm of Porcupine and Knossos), on each key's operations separately (a history
/// of a map is linearizable exactly when each key's is).
enum Linearizability {
    /// One client operation on one key, with the times it was invoked and answered.
    struct Operation {
        enum Kind: Hashable {
            case get
            case put(String)
            case cas(expected: String, new: String)
        }

        enum Outcome: Hashable {
            /// A read's value (nil: absent).
            case value(String?)
            case ok
            /// A compare-and-set that found another value.
            case mismatch
            /// A write whose outcome is unknown (a timeout, a lost connection): it may have taken
            /// effect at any time after its invocation, or never.
            case unknown
        }

        var key: String
        var kind: Kind
        var outcome: Outcome
        var invoked: UInt64
        /// When the answer came; ignored for `.unknown`.
        var answered: UInt64
    }

    /// The register's next value if `op` may take effect on `state` with its outcome.
    static func step(_ state: String?, _ op: Operation) -> String?? {
        switch (op.kind, op.outcome) {
        case (.get, .value(let value)): return value == state ? .some(state) : nil
        case (.put(let value), .ok), (.put(let value), .unknown): return .some(value)
        case let (.cas(expected, new), .ok): return state == expected ? .some(new) : nil
        case let (.cas(expected, new), .unknown): return state == expected ? .some(new) : .some(state)
        case (.cas(let expected, _), .mismatch): return state != expected ? .some(state) : nil
        default: return nil
        }
    }

    /// The first key whose history is not linearizable, or nil.
    static func check(_ history: [Operation]) -> String? {
        let keys = Set(history.map(\.key)).sorted()
        for key in keys where !linearizable(history.filter { $0.key == key }) { return key }
        return nil
    }

    /// Wing & Gong with Lowe's cache on one register, starting absent.
    static func linearizable(_ ops: [Operation]) -> Bool {
        // Events: each op's call, and a return for ops with a known answer, by time (calls
        // first at equal times, so that touching operations count as concurrent).
        struct Event { let op: Int; let isCall: Bool; let time: UInt64 }
        var events: [Event] = []
        for (i, op) in ops.enumerated() {
            events.append(Event(op: i, isCall: true, time: op.invoked))
            if op.outcome != .unknown { events.append(Event(op: i, isCall: false, time: op.answered)) }
        }
        events.sort { ($0.time, $0.isCall ? 0 : 1, $0.op) < ($1.time, $1.isCall ? 0 : 1, $1.op) }
        // A doubly linked list over the events (index n is the head sentinel).
        let n = events.count
        var nextOf = [Int](repeating: n, count: n + 1), prevOf = [Int](repeating: n, count: n + 1)
        let head = n
        var last = head
        for i in 0..<n {
            nextOf[last] = i
            prevOf[i] = last
            last = i
        }
        nextOf[last] = -1
        var returnOf = [Int](repeating: -1, count: ops.count)
        for (i, event) in events.enumerated() where !event.isCall { returnOf[event.op] = i }
        var callOf = [Int](repeating: -1, count: ops.count)
        for (i, event) in events.enumerated() where event.isCall { callOf[event.op] = i }

        func unlink(_ e: Int) {
            nextOf[prevOf[e]] = nextOf[e]
            if nextOf[e] >= 0 { prevOf[nextOf[e]] = prevOf[e] }
        }
        func relink(_ e: Int) {
            nextOf[prevOf[e]] = e
            if nextOf[e] >= 0 { prevOf[nextOf[e]] = e }
        }

        struct Seen: Hashable { var done: [UInt64]; var state: String? }
        var done = [UInt64](repeating: 0, count: (ops.count + 63) / 64)
        var cache: Set<Seen> = [Seen(done: done, state: nil)]
        var stack: [(op: Int, state: String?)] = []
        var state: String? = nil
        let mustDo = ops.filter { $0.outcome != .unknown }.count
        var didMust = 0
        var entry = nextOf[head]
        while true {
            if didMust == mustDo { return true }
            if entry >= 0 && events[entry].isCall {
                let op = events[entry].op
                if let after = step(state, ops[op]) {
                    var marked = done
                    marked[op / 64] |= 1 << UInt64(op % 64)
                    if cache.insert(Seen(done: marked, state: after)).inserted {
                        stack.append((op, state))
                        (done, state) = (marked, after)
                        if ops[op].outcome != .unknown { didMust += 1 }
                        unlink(callOf[op])
                        if returnOf[op] >= 0 { unlink(returnOf[op]) }
                        entry = nextOf[head]
                        continue
                    }
                }
                entry = nextOf[entry]
            } else {
                // A return whose call is not linearized yet, or the end: undo the last choice.
                guard let (op, before) = stack.popLast() else { return false }
                done[op / 64] &= ~(1 << UInt64(op % 64))
                state = before
                if ops[op].outcome != .unknown { didMust -= 1 }
                if returnOf[op] >= 0 { relink(returnOf[op]) }
                relink(callOf[op])
                entry = nextOf[callOf[op]]
            }
        }
    }
}
