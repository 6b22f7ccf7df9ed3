import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

/// Lease reads under bounded clock drift, driven through one scripted scenario: a leader is cut
/// off alone, the others elect a new leader that commits, and the old leader is asked to read.
@Suite struct LeaseReadTests {
    static func spec(mutation: String? = nil) -> Spec {
        var spec = Spec()
        spec.name = "lease"
        (spec.raft.preVote, spec.raft.checkQuorum, spec.raft.readOnly) = (true, true, .lease)
        (spec.raft.electionTicks, spec.raft.clockDrift) = (4, 1)
        (spec.events.tick, spec.events.timeout, spec.events.heartbeat) = (true, false, false)
        (spec.events.read, spec.events.partition, spec.events.drop) = (true, true, true)
        (spec.bounds.maxTerm, spec.bounds.maxReads, spec.bounds.maxPartitions) = (4, 8, 1)
        (spec.bounds.maxInFlight, spec.bounds.maxDrops) = (12, 255)
        spec.mutation = mutation
        return spec
    }

    /// Takes the first enabled event `pick` accepts; false if there is none.
    static func take(_ model: ClusterModel, _ state: inout ClusterState, _ trace: inout [Event],
                     _ pick: (Event) -> Bool) -> Bool {
        var enabled: [Event] = []
        model.actions(of: state, into: &enabled)
        guard let event = enabled.first(where: pick), let next = model.nextState(after: state, action: event) else { return false }
        (state, trace) = (next, trace + [event])
        return true
    }

    /// Delivers (or, across the cut, drops) every message in flight, then lets the slowest
    /// clock tick; reads at `reader` whenever it leads. Returns the first violated property.
    static func run(_ spec: Spec) -> (property: String?, trace: [Event]) {
        let model = ClusterModel(spec: spec)
        var state = model.initialStates[0]
        var trace: [Event] = []
        var oldLeader: NodeID?
        for _ in 0..<400 {
            if let property = model.violation(in: state) { return (property, trace) }
            if take(model, &state, &trace, { if case .deliver = $0 { true } else { false } }) { continue }
            if take(model, &state, &trace, { if case .drop = $0 { true } else { false } }) { continue }
            let leaders = spec.nodeIDs.filter { state[$0].view.role == .leader }
            if oldLeader == nil, let leader = leaders.first, state.history.committed.count > 0 {
                oldLeader = leader
                let side = UInt8(1) << UInt8(leader.rawValue - 1)
                _ = take(model, &state, &trace) { $0 == .partition(side & 1 == 1 ? side : UInt8(0b111) & ~side) }
                continue
            }
            if let reader = oldLeader, leaders.contains(reader), leaders.count > 1 {
                if take(model, &state, &trace, { $0 == .read(reader) }) { continue }
            }
            if !take(model, &state, &trace, { if case .tick = $0 { true } else { false } }) { break }
        }
        return (model.violation(in: state), trace)
    }

    @Test func leaseReadsStayLinearizableWhileTheLeaderIsCutOff() {
        let (property, trace) = Self.run(Self.spec())
        #expect(property == nil, "\(trace.map(\.description))")
    }

    @Test func aLeaseThatTrustsCheckQuorumServesStaleReads() {
        let (property, trace) = Self.run(Self.spec(mutation: "lease-trusts-check-quorum"))
        #expect(property == PropertyName.linearizableReads.rawValue, "\(trace.map(\.description))")
    }
}
