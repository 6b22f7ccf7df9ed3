import RaftExplorer

/// Server IDs under a relabeling, as the encoding reads them: `label[i]` is the new index of
/// server i, `server` the inverse.
struct ServerLabels {
    var label = InlineArray<4, UInt8>(repeating: 0)
    var server = InlineArray<4, UInt8>(repeating: 0)

    init(_ r: Relabeling) {
        for i in 0..<r.count {
            label[i] = UInt8(r.position(of: i))
            server[r.position(of: i)] = UInt8(i)
        }
    }

    @inline(__always) func map(_ i: UInt8) -> UInt8 { label[Int(i)] }

    @inline(__always) func map(mask: UInt8) -> UInt8 {
        var out: UInt8 = 0
        for i in 0..<4 where mask & (1 << i) != 0 { out |= 1 << label[i] }
        return out
    }
}

extension RaftTLAModel {
    /// The fingerprint of the state, or under symmetry its orbit's canonical one (`Symmetry`),
    /// with servers keyed by their ID-blind signature.
    public func fingerprint(of s: State, width: HashWidth, encoder e: inout StateEncoder) -> Fingerprint {
        guard spec.symmetry && n > 1 else {
            e.reset()
            encode(s, ServerLabels(.identity(n)), into: &e)
            return e.hash(width)
        }
        var keys = Symmetry.Keys(repeating: (0, 0))
        for i in 0..<n { keys[i].0 = signature(s, i) }
        return Symmetry.canonicalFingerprint(
            count: n, keys: keys, width: width, encoder: &e, refine: { _, _ in },
            encode: { r, e in encode(s, ServerLabels(r), into: &e) }).fingerprint
    }

    /// Server i's variables with every server ID seen only as "i itself" or "another":
    /// invariant under relabeling.
    func signature(_ s: State, _ i: Int) -> UInt64 {
        let me: UInt8 = 1 << i
        let voted: UInt64 = s.votedFor[i] == 0 ? 0 : (s.votedFor[i] == UInt8(i + 1) ? 1 : 2)
        var h = Mix.combine(UInt64(s.currentTerm[i]) | UInt64(s.role[i].rawValue) << 8 | voted << 16 | UInt64(s.commitIndex[i]) << 24,
                    s.log[i].raw)
        for mask in [s.votesResponded[i], s.votesGranted[i], s.voterDomain[i]] {
            h = Mix.combine(h, UInt64(mask.nonzeroBitCount) | (mask & me != 0 ? 1 << 8 : 0))
        }
        // Leader variables: its own pair, then the others' pairs as a sorted multiset.
        h = Mix.combine(h, UInt64(s.nextIndex[i * 4 + i]) | UInt64(s.matchIndex[i * 4 + i]) << 8)
        var others = InlineArray<4, UInt64>(repeating: .max)
        var count = 0
        for j in 0..<n where j != i {
            var pair = UInt64(s.nextIndex[i * 4 + j]) | UInt64(s.matchIndex[i * 4 + j]) << 8
            if s.voterDomain[i] & (1 << j) != 0 { pair = Mix.combine(pair | 1 << 16, s.voterLogs[i * 4 + j].raw) }
            var k = count
            while k > 0 && others[k - 1] > pair {
                others[k] = others[k - 1]
                k -= 1
            }
            others[k] = pair
            count += 1
        }
        for k in 0..<count { h = Mix.combine(h, others[k]) }
        return h
    }

    /// The canonical bytes of `s` with servers relabeled by `r`: per-server variables in the
    /// new order, server IDs mapped, and sets (the message bag, elections) as sorted elements.
    /// Without history only MCraftView's view is written.
    func encode(_ s: State, _ r: ServerLabels, into e: inout StateEncoder) {
        for position in 0..<n {
            let i = Int(r.server[position])
            let voted = s.votedFor[i] == 0 ? 0 : UInt64(r.map(s.votedFor[i] - 1)) + 1
            e.write(UInt64(s.currentTerm[i]) | UInt64(s.role[i].rawValue) << 8 | voted << 16 | UInt64(s.commitIndex[i]) << 24
                    | UInt64(r.map(mask: s.votesResponded[i])) << 32 | UInt64(r.map(mask: s.votesGranted[i])) << 40)
            e.write(s.log[i].raw)
            var leaderVars: UInt64 = 0
            for q in 0..<n {
                let j = Int(r.server[q])
                leaderVars |= (UInt64(s.nextIndex[i * 4 + j]) | UInt64(s.matchIndex[i * 4 + j]) << 8) << (16 * UInt64(q))
            }
            e.write(leaderVars)
            if spec.history {
                e.write(UInt64(r.map(mask: s.voterDomain[i])))
                for q in 0..<n {
                    let j = Int(r.server[q])
                    if s.voterDomain[i] & (1 << j) != 0 { e.write(s.voterLogs[i * 4 + j].raw) }
                }
            }
        }
        writeSorted(count: s.messages.count, into: &e) { k in
            let m = s.messages[k].message, count = s.messages[k].count
            return Mix.combine(Mix.combine(Mix.combine(m.head(source: r.map(m.source), dest: r.map(m.dest)), m.entries.raw), m.log.raw), UInt64(count))
        }
        guard spec.history else { return }
        writeSorted(count: s.elections.count, into: &e) { k in
            let x = s.elections[k]
            var h = Mix.combine(UInt64(x.term) | UInt64(r.map(x.leader)) << 8, x.log.raw)
            h = Mix.combine(h, UInt64(r.map(mask: x.votes)) | UInt64(r.map(mask: x.voterDomain)) << 8)
            for q in 0..<n {
                let j = Int(r.server[q])
                if x.voterDomain & (1 << j) != 0 { h = Mix.combine(h, x.voterLogs[j].raw) }
            }
            return h
        }
        e.write(s.allLogs.count)
        for log in s.allLogs { e.write(log.raw) }
    }

    /// Writes `count` element hashes in sorted order: a canonical encoding of a set or bag.
    private func writeSorted(count: Int, into e: inout StateEncoder, _ element: (Int) -> UInt64) {
        e.write(count)
        guard count > 0 else { return }
        withUnsafeTemporaryAllocation(of: UInt64.self, capacity: count) { buffer in
            var hashes = buffer
            for k in 0..<count { hashes.initializeElement(at: k, to: element(k)) }
            hashes.sort()
            for h in hashes { e.write(h) }
        }
    }
}
