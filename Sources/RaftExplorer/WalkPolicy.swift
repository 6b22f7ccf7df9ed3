/// How one random walk chooses its steps, drawn from its run's seed: the weight of each action
/// kind (with swarm, a random subset of kinds with random weights), PCT's thread priorities and
/// change points, and with novelty a few draws looking for a successor never seen.
struct WalkPolicy<M: WeightedModel>: ~Copyable {
    let model: M
    /// Per action kind.
    let weights: [UInt64]
    let pct: Bool
    /// PCT: a priority per thread (higher moves first), and the steps where the running thread
    /// drops to the lowest.
    var priorities: [UInt64]
    let changePoints: [Int]
    let novelty: Bool
    /// Buffers reused from step to step.
    var draws = WeightedDraws()
    var weighted: [Int] = []

    /// The policy of a walk of `model` whose first `prefix` steps replay a frontier walk, by
    /// options `options`, drawn from `rng`.
    init(model: M, options: FuzzOptions, prefix: Int, rng: inout Xoshiro256) {
        self.model = model
        var weights = model.defaultWeights
        if options.swarm {
            // Swarm testing: a random subset of kinds (never none), each with a random weight.
            repeat {
                for k in weights.indices { weights[k] = rng.chance(1, in: 2) ? 1 + rng.next(below: 16) : 0 }
            } while weights.allSatisfy { $0 == 0 }
        }
        self.weights = weights
        pct = options.pct
        priorities = (0..<64).map { _ in options.pct ? 1 + rng.next(below: 1 << 32) : 0 }
        let steps = UInt64(max(options.depth - prefix, 1))
        changePoints = options.pct ? (0..<options.pctChangePoints).map { _ in prefix + Int(rng.next(below: steps)) } : []
        novelty = options.novelty
    }

    /// The successor step `step` takes from the cursor's state (whose listing is `listing`):
    /// candidates in a random weighted order until one stays inside the boundary; with novelty,
    /// up to four that do, looking for one neither in `seen` nor among `walked` (else the first
    /// of them). With PCT the candidates go one thread at a time by priority, moving on only if
    /// no action of a thread stays inside. Nil if none does. The cursor holds the pick's state
    /// if it computed it.
    @inline(__always)
    mutating func pick(at step: Int, in listing: Listing, cursor: inout WalkCursor<M>, rng: inout Xoshiro256,
                       seen: FingerprintSet, walked: [(fingerprint: Fingerprint, length: Int32)]) -> Pick? {
        let kinds = listing.kinds
        var groups: [[Int]]?
        if pct {
            cursor.list()
            weighted.removeAll(keepingCapacity: true)
            for i in kinds.indices where weights[Int(kinds[i])] > 0 { weighted.append(i) }
            groups = threadGroups(weighted, of: cursor.actions.enabled, demoteTop: changePoints.contains(step))
        }
        var picked: Pick?
        for group in 0..<(groups?.count ?? 1) where picked == nil {
            if let groups {
                draws.reset(count: kinds.count, members: groups[group]) { weights[Int(kinds[$0])] }
            } else {
                draws.reset(count: kinds.count, members: kinds.indices) { weights[Int(kinds[$0])] }
            }
            var tries = novelty ? 4 : 1
            while tries > 0 && !draws.isEmpty {
                let index = draws.next(&rng)
                guard var candidate = cursor.successor(index, in: listing) else { continue }
                if !novelty || Self.isNovel(&candidate, in: listing, seen: seen, walked: walked) {
                    cursor.holdCandidate()
                    return candidate
                }
                if picked == nil {
                    picked = candidate
                    cursor.holdCandidate()
                } else {
                    cursor.dropCandidate()
                }
                tries -= 1
            }
        }
        return picked
    }

    /// PCT's groups of `candidates` (indexes into `enabled`), one per thread, highest priority
    /// first (the network's own events go with the first); with `demoteTop`, the running
    /// thread then drops to the lowest priority. All of them in one group if no action has a
    /// thread.
    private mutating func threadGroups(_ candidates: [Int], of enabled: [M.Action], demoteTop: Bool) -> [[Int]] {
        // Plain loops: a closure would capture, and so copy, the model.
        var threads: [Int] = [], owners: [Int?] = []
        owners.reserveCapacity(candidates.count)
        for i in candidates {
            let t = model.thread(of: enabled[i])
            owners.append(t)
            if let t, !threads.contains(t) { threads.append(t) }
        }
        let priorities = self.priorities
        threads.sort { (priorities[$0 % 64], $0) > (priorities[$1 % 64], $1) }
        if let top = threads.first, demoteTop { self.priorities[top % 64] = 0 }
        guard !threads.isEmpty else { return [candidates] }
        var groups: [[Int]] = []
        for (rank, t) in threads.enumerated() {
            var group: [Int] = []
            for (k, i) in candidates.enumerated() where owners[k].map({ $0 == t }) ?? (rank == 0) { group.append(i) }
            groups.append(group)
        }
        return groups
    }

    /// Whether `candidate` is a state never seen: not in `seen` (as of the round's start), nor
    /// among the states the walk went through. Marks it seen in `listing` if the set holds it,
    /// so the next walk here need not look.
    private static func isNovel(_ candidate: inout Pick, in listing: Listing, seen: FingerprintSet,
                                walked: [(fingerprint: Fingerprint, length: Int32)]) -> Bool {
        guard !candidate.seen, let fp = candidate.fingerprint else { return false }
        if seen.contains(fp) {
            candidate.seen = true
            listing.markSeen(candidate.index)
            return false
        }
        // The walk's states the seen set holds are not among `walked`: the set said so first.
        return !walked.contains { $0.fingerprint == fp }
    }
}
