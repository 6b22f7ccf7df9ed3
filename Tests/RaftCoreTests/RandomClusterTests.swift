import Testing
@_spi(Checker) @testable import RaftCore

/// Many seeded random schedules over the in-test network — ticks, reordered deliveries, drops,
/// duplicates, proposals, and crashes at every point of the Ready cycle — asserting election
/// safety, log matching and state machine safety after every step, then a calm phase in which
/// the healed cluster must make progress.
@Suite struct RandomClusterTests {
    struct Outcome: Equatable {
        var leaders: [Term: NodeID]
        var appliedIndexes: Int
        var delivered: Int
        /// Safety problems found, first one per step.
        var problems: [String]
    }

    static func run(seed: UInt64, steps: Int = 2_000, mutations: Mutation = []) -> Outcome {
        var rng = SplitMix64(seed: seed)
        let size = seed % 2 == 0 ? 3 : 5
        var cluster = Cluster(size: size) { config in
            config.electionTicks = 6
            config.heartbeatTicks = 2
            config.preVote = seed % 3 == 0
            config.checkQuorum = seed % 4 < 2
            config.maxInflightMessages = 1 + Int(seed % 3)
            config.maxSizePerMessage = seed % 5 == 0 ? 0 : .max
            config.randomSeed = seed
            config.mutations = mutations
        }
        func pick(_ n: Int) -> Int { Int(rng.next(below: UInt64(n))) }
        var problems: [String] = []

        for step in 0..<steps {
            let id = cluster.ids[pick(size)]
            switch rng.next(below: 100) {
            case 0..<25:
                cluster.tick(id)
            case 25..<60 where !cluster.inFlight.isEmpty:
                cluster.deliver(at: pick(cluster.inFlight.count))
            case 60..<66 where !cluster.inFlight.isEmpty:
                cluster.inFlight.remove(at: pick(cluster.inFlight.count))
            case 66..<69 where !cluster.inFlight.isEmpty:
                cluster.inFlight.append(cluster.inFlight[pick(cluster.inFlight.count)])
            case 69..<76:
                try? cluster[id].propose(Array("s\(seed)-\(step)".utf8))
            case 76..<78:
                let points = Cluster.CrashPoint.allCases
                cluster.processReady(id, crash: points[pick(points.count)])
            default:
                cluster.processReady(id)
            }
            if let problem = check(cluster).first {
                problems.append("step \(step): \(problem)")
                return Outcome(leaders: cluster.leaders, appliedIndexes: cluster.appliedAt.count, delivered: cluster.delivered.count, problems: problems)
            }
        }

        // Calm phase: no more faults. A leader must emerge and commit a new entry everywhere.
        for _ in 0..<200 {
            cluster.stabilize()
            for id in cluster.ids { cluster.tick(id) }
            cluster.stabilize()
            if let leader = cluster.leader, cluster[leader].raft.log.committed > .zero,
               (try? cluster[leader].raft.log.term(at: cluster[leader].raft.log.committed)) == cluster[leader].raft.term {
                break
            }
        }
        guard let leader = cluster.leader else {
            problems.append("no leader after the calm phase")
            return Outcome(leaders: cluster.leaders, appliedIndexes: 0, delivered: cluster.delivered.count, problems: problems)
        }
        cluster.propose(leader, "final-\(seed)")
        for _ in 0..<3 {
            cluster.tick(leader, times: 2)
            cluster.stabilize()
        }
        let last = cluster[leader].raft.log.lastIndex
        for id in cluster.ids where cluster[id].raft.log.committed != last {
            problems.append("liveness: node \(id) committed \(cluster[id].raft.log.committed) of \(last)")
        }
        problems += check(cluster).map { "end: \($0)" }
        return Outcome(leaders: cluster.leaders, appliedIndexes: cluster.appliedAt.count, delivered: cluster.delivered.count, problems: problems)
    }

    /// Every safety problem in the cluster's current state and history.
    static func check(_ cluster: Cluster) -> [String] {
        var problems = cluster.electionSafetyViolations + cluster.stateMachineViolations + cluster.logMatchingViolations()
        for id in cluster.ids {
            let raft = cluster[id].raft
            if let fault = raft.fault { problems.append("node \(id): \(fault)") }
            if !(raft.log.applied <= raft.log.committed && raft.log.committed <= raft.log.lastIndex) {
                problems.append("node \(id): applied \(raft.log.applied), committed \(raft.log.committed), last \(raft.log.lastIndex)")
            }
            if raft.role == .leader {
                for (peer, progress) in zip(raft.tracker.ids, raft.tracker.progresses) where progress.match >= progress.next {
                    problems.append("leader \(id): peer \(peer) has match \(progress.match) >= next \(progress.next)")
                }
            }
        }
        return problems
    }

    @Test(arguments: 0..<48 as Range<UInt64>)
    func safetyUnderRandomSchedules(seed: UInt64) {
        let outcome = Self.run(seed: seed)
        #expect(outcome.problems.isEmpty, "seed \(seed): \(outcome.problems)")
        #expect(!outcome.leaders.isEmpty && outcome.appliedIndexes > 0, "seed \(seed) did nothing")
    }

    /// The same schedules have teeth: they catch the mutations that break safety on their own.
    @Test(arguments: [Mutation.skipLogUpToDateCheck, .skipPrevLogCheck])
    func randomSchedulesCatchMutations(mutation: Mutation) {
        let caught = (0..<256 as Range<UInt64>).first { !Self.run(seed: $0, mutations: mutation).problems.isEmpty }
        #expect(caught != nil, "\(mutation.names): no seed of 256 caught it")
    }

    @Test func sameSeedSameRun() {
        #expect(Self.run(seed: 7, steps: 500) == Self.run(seed: 7, steps: 500))
    }
}
