import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

@Suite struct EventTests {
    /// Every kind of event survives the trace encoding.
    @Test func everyEventKindRoundTripsThroughTraces() throws {
        let message = Message(type: .append, from: 1, to: 2, term: 3, logTerm: 2, index: 4,
                              entries: [Entry(term: 3, index: 5, data: [7])], commit: 4, context: 9)
        let events: [Event] = [
            .deliver(message), .drop(message), .duplicate(message), .tick(1), .timeout(2), .heartbeat(3),
            .crash(1), .restart(1), .propose(2), .ready(1), .persist(1), .announce(1), .apply(1),
            .partition(0b101), .heal,
        ]
        for event in events {
            #expect(try TraceEvent(event).event() == event, "\(event)")
        }
        #expect(throws: TraceEvent.Invalid.unknownKind("warp")) { try TraceEvent(.tick(1)).with(kind: "warp").event() }
    }

    /// Under a partition, messages across the cut are not deliverable (but can be dropped);
    /// after `heal` they are.
    @Test func partitionsCutDeliveries() {
        var spec = Spec()
        spec.events.partition = true
        spec.events.drop = true
        spec.bounds.maxPartitions = 1
        spec.bounds.maxDrops = 1
        let model = ClusterModel(spec: spec)
        var state = model.nextState(after: model.initialStates[0], action: .timeout(1))!
        state = model.nextState(after: state, action: .partition(0b001))!
        var enabled: [Event] = []
        model.actions(of: state, into: &enabled)
        #expect(!enabled.contains { if case .deliver = $0 { true } else { false } })
        #expect(enabled.contains { if case .drop = $0 { true } else { false } })
        #expect(enabled.contains(.heal))
        #expect(!enabled.contains { if case .partition = $0 { true } else { false } })
        state = model.nextState(after: state, action: .heal)!
        enabled.removeAll()
        model.actions(of: state, into: &enabled)
        #expect(enabled.contains { if case .deliver = $0 { true } else { false } })
        #expect(!enabled.contains { if case .partition = $0 { true } else { false } }, "max_partitions reached")
    }
}

extension TraceEvent {
    func with(kind: String) -> TraceEvent {
        var copy = self
        copy.kind = kind
        return copy
    }
}
