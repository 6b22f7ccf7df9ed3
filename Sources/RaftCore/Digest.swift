/// Where a canonical digest of a node's state is written: a checker's encoder, a hasher.
@_spi(Checker) public protocol DigestSink: ~Copyable {
    mutating func write(_ value: UInt64)
    mutating func write(_ bytes: [UInt8])
}

extension DigestSink where Self: ~Copyable {
    /// A log: its length, then each entry (read in place: binding one retains its data).
    @inlinable
    @_spi(Checker) public mutating func writeLog<C: Collection<Entry>>(_ entries: C) {
        write(UInt64(entries.count))
        for i in entries.indices { entries[i].digest(into: &self) }
    }
}

/// How node IDs appear in a digest. Checkers relabel nodes (symmetry reduction), so every ID in
/// the state goes through here; `.none` must map to 0.
@_spi(Checker) public protocol NodeLabeling {
    func label(_ id: NodeID) -> UInt64
}

/// Canonical digests: every field that can influence a node's future behaviour, in a fixed
/// order, with IDs relabeled and hashed collections (none here) in a canonical order. Two
/// nodes with equal digests under some relabeling behave identically under it.
extension Entry {
    @inlinable
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable>(into d: inout D) {
        d.write(term.rawValue)
        d.write(index.rawValue)
        d.write(UInt64(kind.rawValue))
        d.write(data)
    }
}

extension Message {
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L) {
        d.write(UInt64(type.rawValue))
        d.write(labels.label(from))
        d.write(labels.label(to))
        d.write(term.rawValue)
        d.write(logTerm.rawValue)
        d.write(index.rawValue)
        d.write(commit.rawValue)
        d.write(reject ? 1 : 0)
        d.write(rejectHint.rawValue)
        d.write(context)
        d.write(campaignTransfer ? 1 : 0)
        d.writeLog(entries)
        if let snapshot {
            d.write(1)
            snapshot.digest(into: &d, labels: labels)
        } else {
            d.write(0)
        }
    }
}

extension Snapshot {
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L) {
        d.write(metadata.index.rawValue)
        d.write(metadata.term.rawValue)
        metadata.confState.digest(into: &d, labels: labels)
        d.write(data)
    }
}

extension ConfState {
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L) {
        digestLabels(voters, into: &d, labels: labels)
        digestLabels(learners, into: &d, labels: labels)
        digestLabels(votersOutgoing, into: &d, labels: labels)
        digestLabels(learnersNext, into: &d, labels: labels)
        d.write(autoLeave ? 1 : 0)
    }
}

/// A set (or multiset) of node IDs, order-free. Commonly one word: how many IDs carry each
/// label, 7 bits per label, for labels below 9 and fewer than 128 IDs (a cluster's few
/// nodes), with no sort. Otherwise the count with the top bit set (which the one-word form
/// never has), then the labels sorted.
@inline(__always)
func digestLabels<D: DigestSink & ~Copyable, L: NodeLabeling>(_ ids: [NodeID], into d: inout D, labels: L) {
    var counts: UInt64 = 0
    var compact = ids.count < 128
    for id in ids where compact {
        let label = labels.label(id)
        if label < 9 { counts &+= 1 << (7 * label) } else { compact = false }
    }
    if compact { return d.write(counts) }
    d.write(1 << 63 | UInt64(ids.count))
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: ids.count) { buffer in
        var sorted = buffer
        for (i, id) in ids.enumerated() { sorted.initializeElement(at: i, to: labels.label(id)) }
        sorted.sort()
        for label in sorted { d.write(label) }
    }
}

extension HardState {
    @inlinable
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L) {
        d.write(term.rawValue)
        d.write(labels.label(vote))
        d.write(commit.rawValue)
    }
}

extension MemoryStorage {
    /// The durable state: hard state, snapshot, entries.
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L) {
        hardState.digest(into: &d, labels: labels)
        latestSnapshot.digest(into: &d, labels: labels)
        confState.digest(into: &d, labels: labels)
        d.writeLog(storedEntries)
    }
}

extension RawNode where S == MemoryStorage {
    /// The whole node: storage, volatile Raft state, buffered output, and what the last Ready
    /// reported. With `timers == false` the randomized election timeout and its generator are
    /// left out: a checker that never ticks single steps cannot observe them.
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L, timers: Bool) {
        raft.log.storage.digest(into: &d, labels: labels)
        raft.digestVolatile(into: &d, labels: labels, timers: timers)
        d.write(labels.label(lastSoftState.leader))
        d.write(UInt64(lastSoftState.role.rawValue))
        lastHardState.digest(into: &d, labels: labels)
        d.write(awaitingAdvance ? 1 : 0)
    }
}

extension Raft {
    func digestVolatile<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L, timers: Bool) {
        d.write(term.rawValue)
        d.write(labels.label(vote))
        d.write(labels.label(leader))
        d.write(UInt64(role.rawValue))
        d.write(UInt64(electionElapsed))
        d.write(UInt64(heartbeatElapsed))
        if timers {
            d.write(UInt64(randomizedElectionTimeout))
            d.write(rng.state)
        }
        d.write((fault == nil ? 0 : 1) | (leaseForfeited ? 2 : 0) | (quietSinceStart ? 4 : 0))
        if options.readOnlyOption == .leaseBased { d.write(leaseClock) }
        d.write(log.committed.rawValue)
        d.write(log.applied.rawValue)
        d.write(log.applying.rawValue)
        d.write(log.unstable.offset.rawValue)
        d.writeLog(log.unstable.entries)
        if let snapshot = log.unstable.snapshot {
            d.write(1)
            snapshot.digest(into: &d, labels: labels)
        } else {
            d.write(0)
        }
        tracker.digest(into: &d, labels: labels)
        Message.digestMultiset(messages, into: &d, labels: labels)
        Message.digestMultiset(messagesAfterPersist, into: &d, labels: labels)
        d.write(pendingConfIndex.rawValue)
        d.write(labels.label(leadTransferee))
        readOnly.digest(into: &d, labels: labels)
        Message.digestMultiset(pendingReadIndexMessages, into: &d, labels: labels)
        readStates.digest(into: &d)
    }
}

extension Array where Element == ReadState {
    /// The confirmed reads in order, each its index and request context.
    @_spi(Checker) public func digest<D: DigestSink & ~Copyable>(into d: inout D) {
        d.write(UInt64(count))
        for read in self {
            d.write(read.index.rawValue)
            d.write(read.requestContext)
        }
    }
}

extension ReadOnly {
    /// Pending reads in round order (rounds only grow, so the order is canonical).
    func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L) {
        d.write(lastRound)
        d.write(UInt64(pending.count))
        for request in pending {
            d.write(request.round)
            d.write(request.index.rawValue)
            d.write(labels.label(request.from))
            d.write(request.requestContext)
            digestLabels(request.acks, into: &d, labels: labels)
        }
    }
}

extension ProgressTracker {
    /// Progress entries and votes as multisets (each entry hashed with its relabeled ID, the
    /// hashes sorted): canonical under any labeling, even one that gives several IDs one label.
    func digest<D: DigestSink & ~Copyable, L: NodeLabeling>(into d: inout D, labels: L) {
        let voters = config.voters
        digestLabels(voters.incoming.voters, into: &d, labels: labels)
        digestLabels(voters.outgoing.voters, into: &d, labels: labels)
        digestLabels(config.learners, into: &d, labels: labels)
        digestLabels(config.learnersNext, into: &d, labels: labels)
        d.write(config.autoLeave ? 1 : 0)
        digestMultiset(count: progresses.count, into: &d) { i, h in
            let p = progresses[i]
            h.write(labels.label(ids[i]))
            h.write(p.match.rawValue)
            h.write(p.next.rawValue)
            h.write(UInt64(p.state.rawValue))
            h.write(p.pendingSnapshot.rawValue)
            h.write((p.recentActive ? 1 : 0) | (p.msgAppFlowPaused ? 2 : 0) | (p.isLearner ? 4 : 0) | p.leaseSent << 3)
            h.write(UInt64(p.inflights.count))
            for index in p.inflights.indexes { h.write(index.rawValue) }
        }
        digestMultiset(count: votes.count, into: &d) { i, h in
            h.write(labels.label(votes[i].voter) << 1 | (votes[i].granted ? 1 : 0))
        }
    }
}

/// Writes the sorted hashes of `count` elements, element `i` hashed by `body(i, &hasher)`: an
/// order-free digest of a multiset.
@inline(__always)
func digestMultiset<D: DigestSink & ~Copyable>(count: Int, into d: inout D, _ body: (Int, inout WordHasher) -> Void) {
    d.write(UInt64(count))
    guard count > 0 else { return }
    withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { buffer in
        var hashes = buffer
        for i in 0..<count {
            var hasher = WordHasher()
            body(i, &hasher)
            hashes.initializeElement(at: i, to: hasher.value)
        }
        // Multisets here hold a few elements: an insertion sort beats the general one.
        if count <= 16 {
            for i in 1..<count {
                let hash = hashes[i]
                var j = i
                while j > 0 && hashes[j - 1] > hash {
                    hashes[j] = hashes[j - 1]
                    j -= 1
                }
                hashes[j] = hash
            }
        } else {
            hashes.sort()
        }
        for hash in hashes { d.write(hash) }
    }
}

extension Message {
    /// A multiset of messages: each message's digest hashed on its own, the hashes sorted, so
    /// the order the messages were produced in does not matter.
    @_spi(Checker) public static func digestMultiset<D: DigestSink & ~Copyable, L: NodeLabeling>(_ messages: [Message], into d: inout D, labels: L) {
        RaftCore.digestMultiset(count: messages.count, into: &d) { i, h in messages[i].digest(into: &h, labels: labels) }
    }
}

/// A small fixed (never randomly seeded) word hash for the elements of multisets inside a
/// digest; the checker hashes the whole digest again with XXH3.
@_spi(Checker) public struct WordHasher: DigestSink {
    public var value: UInt64 = 0x243F_6A88_85A3_08D3

    public init() {}

    @inlinable
    @_spi(Checker) public mutating func write(_ word: UInt64) {
        value = (value ^ word) &* 0x9E37_79B9_7F4A_7C15
        value ^= value >> 29
    }

    @_spi(Checker) public mutating func write(_ bytes: [UInt8]) {
        write(UInt64(bytes.count))
        for byte in bytes { write(UInt64(byte)) }
    }
}
