import RaftCore

// Taking one node out of a scenario, for minimization and swarm cluster sizes: the spec loses
// the node, the nodes above it move down one ID (IDs stay 1...nodes), and the events follow.

extension Spec {
    /// This spec with node `id` taken out, or nil if nothing would be left (no node, or no
    /// initial voter).
    public func removing(node id: NodeID) -> Spec? {
        let k = Int(id.rawValue)
        guard nodes > 1, (1...nodes).contains(k) else { return nil }
        var spec = self
        spec.nodes -= 1
        spec.fuzz.minNodes = fuzz.minNodes.map { min($0, spec.nodes) }
        if let voters {
            guard k > voters || voters > 1 else { return nil }
            spec.voters = k <= voters ? voters - 1 : voters
        }
        return spec
    }
}

extension NodeID {
    /// This ID once node `removed` is gone: IDs above it move down one (nil: it is the one).
    func shifted(removing removed: NodeID) -> NodeID? {
        if self == removed { return nil }
        return self < removed ? self : NodeID(rawValue - 1)
    }
}

extension Event {
    /// This event once node `id` is gone (`Spec.removing(node:)`): nil if it happens at that
    /// node, involves it, or means nothing without it (a partition with an empty side).
    /// Message contents other than sender and receiver are left as they are; a lenient replay
    /// matches messages by type, sender and receiver anyway.
    public func removing(node id: NodeID, nodes: Int) -> Event? {
        func shift(_ m: Message) -> Message? {
            guard let from = m.from.shifted(removing: id), let to = m.to.shifted(removing: id) else { return nil }
            var m = m
            m.from = from
            m.to = to
            return m
        }
        switch self {
        case .deliver(let m): return shift(m).map(Event.deliver)
        case .drop(let m): return shift(m).map(Event.drop)
        case .duplicate(let m): return shift(m).map(Event.duplicate)
        case .heal, .stabilize: return self
        case .partition(let side):
            // Drop bit k - 1 and move the higher bits down; a side holds node 1 by convention.
            let bit = UInt8(id.rawValue - 1)
            let low = side & ((1 << bit) - 1)
            var remaining = low | ((side >> (bit + 1)) << bit)
            let all = UInt8((1 << (nodes - 1)) - 1)
            if remaining & 1 == 0 { remaining = all & ~remaining }
            return remaining == 0 || remaining == all ? nil : .partition(remaining)
        case .reconfigure(let at, var change):
            guard let at = at.shifted(removing: id), let node = change.node.shifted(removing: id) else { return nil }
            change.node = node
            return .reconfigure(at, change)
        case .enterJoint(let at, var joint):
            guard let at = at.shifted(removing: id), let first = joint.first.node.shifted(removing: id),
                  let second = joint.second.node.shifted(removing: id) else { return nil }
            (joint.first.node, joint.second.node) = (first, second)
            return .enterJoint(at, joint)
        case .transfer(let at, let peer):
            guard let at = at.shifted(removing: id), let peer = peer.shifted(removing: id) else { return nil }
            return .transfer(at, peer)
        case .unreachable(let at, let peer):
            guard let at = at.shifted(removing: id), let peer = peer.shifted(removing: id) else { return nil }
            return .unreachable(at, peer)
        case .reportSnapshot(let at, let peer, let failed):
            guard let at = at.shifted(removing: id), let peer = peer.shifted(removing: id) else { return nil }
            return .reportSnapshot(at, peer, failed: failed)
        case .leaveJoint(let n): return n.shifted(removing: id).map(Event.leaveJoint)
        case .compact(let n): return n.shifted(removing: id).map(Event.compact)
        case .applyEntries(let n): return n.shifted(removing: id).map(Event.applyEntries)
        case .tick(let n): return n.shifted(removing: id).map(Event.tick)
        case .timeout(let n): return n.shifted(removing: id).map(Event.timeout)
        case .heartbeat(let n): return n.shifted(removing: id).map(Event.heartbeat)
        case .crash(let n): return n.shifted(removing: id).map(Event.crash)
        case .restart(let n): return n.shifted(removing: id).map(Event.restart)
        case .propose(let n): return n.shifted(removing: id).map(Event.propose)
        case .read(let n): return n.shifted(removing: id).map(Event.read)
        case .ready(let n): return n.shifted(removing: id).map(Event.ready)
        case .persist(let n): return n.shifted(removing: id).map(Event.persist)
        case .announce(let n): return n.shifted(removing: id).map(Event.announce)
        case .apply(let n): return n.shifted(removing: id).map(Event.apply)
        }
    }
}
