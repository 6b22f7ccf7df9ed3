import Foundation
@_spi(Checker) import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

@Suite struct EventTests {
    /// Every kind of event survives the trace encoding.
    @Test func everyEventKindRoundTripsThroughTraces() throws {
        let message = Message(type: .append, from: 1, to: 2, term: 3, logTerm: 2, index: 4,
                              entries: [Entry(term: 3, index: 5, data: [7])], commit: 4, context: 9)
        // A snapshot message carries its whole snapshot: configuration, state machine and all.
        let conf = ConfState(voters: [1, 2], learners: [4], votersOutgoing: [1, 3], learnersNext: [3], autoLeave: true)
        let snapshot = Message(type: .snapshot, from: 1, to: 3, term: 2,
                               snapshot: Snapshot(metadata: SnapshotMetadata(index: 5, term: 2, confState: conf), data: [1, 2, 3]))
        let events: [Event] = [
            .deliver(snapshot), .duplicate(snapshot), .deliver(message), .drop(message), .duplicate(message), .tick(1), .timeout(2), .heartbeat(3),
            .crash(1), .restart(1), .propose(2), .ready(1), .persist(1), .announce(1), .apply(1),
            .partition(0b101), .heal, .read(1), .reconfigure(1, ConfChangeSingle(.remove, 3)),
            .reconfigure(2, ConfChangeSingle(.addVoter, 4)), .reconfigure(3, ConfChangeSingle(.addLearner, 1)),
            .compact(2), .applyEntries(3), .transfer(1, 3), .unreachable(2, 1), .reportSnapshot(1, 2, failed: true),
            .reportSnapshot(3, 1, failed: false), .leaveJoint(1),
            .enterJoint(1, JointChange(ConfChangeSingle(.addVoter, 3), ConfChangeSingle(.addLearner, 2), explicit: true)),
        ]
        // Through JSON as trace files hold it: snake_case keys, messages in RaftCore's Codable form.
        let encoder = JSONEncoder()
        encoder.keyEncodingStrategy = .convertToSnakeCase
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        let json = try encoder.encode(events.map(TraceEvent.init))
        let read = try decoder.decode([TraceEvent].self, from: json)
        #expect(try read.map { try $0.event() } == events)
        let text = String(decoding: json, as: UTF8.self)
        #expect(text.contains(#""conf_state":{"#) && text.contains(#""log_term":2"#) && text.contains(#""kind":"normal""#))
        #expect(throws: TraceEvent.Invalid.unknownKind("warp")) { try TraceEvent(.tick(1)).with(kind: "warp").event() }
        #expect(throws: TraceEvent.Invalid.missing("change")) { try TraceEvent(.tick(1)).with(kind: "reconfigure").event() }
        #expect(throws: TraceEvent.Invalid.missing("peer")) { try TraceEvent(.tick(1)).with(kind: "transfer").event() }
        #expect(throws: TraceEvent.Invalid.missing("failed")) { try TraceEvent(.transfer(1, 2)).with(kind: "report-snapshot").event() }
        var unknown = TraceEvent(.reconfigure(1, ConfChangeSingle(.remove, 2)))
        unknown.change?.type = "promote"
        #expect(throws: TraceEvent.Invalid.unknownChangeType("promote")) { try unknown.event() }
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

/// Taking a node out of a scenario for the minimizer: its events go, the nodes above it move
/// down one ID, and the spec keeps its voters contiguous.
@Suite struct NodeRemovalTests {
    @Test func eventsFollowTheRenumbering() {
        let message = Message(type: .vote, from: 3, to: 1, term: 2)
        #expect(Event.deliver(message).removing(node: 2, nodes: 3) == .deliver(Message(type: .vote, from: 2, to: 1, term: 2)))
        #expect(Event.deliver(message).removing(node: 3, nodes: 3) == nil)
        #expect(Event.timeout(1).removing(node: 2, nodes: 3) == .timeout(1))
        #expect(Event.crash(2).removing(node: 2, nodes: 3) == nil)
        #expect(Event.reconfigure(1, ConfChangeSingle(.remove, 3)).removing(node: 2, nodes: 3)
                == .reconfigure(1, ConfChangeSingle(.remove, 2)))
        #expect(Event.reconfigure(1, ConfChangeSingle(.remove, 2)).removing(node: 2, nodes: 3) == nil)
        // {1,3} | {2,4} without node 2: {1,2} | {3}. {1} | {2,3} without node 1: {1,2} would be
        // everyone, so it means nothing. {1,2} | {3,4} without node 1: {1} | {2,3} (node 1's side).
        #expect(Event.partition(0b0101).removing(node: 2, nodes: 4) == .partition(0b011))
        #expect(Event.partition(0b001).removing(node: 1, nodes: 3) == nil)
        #expect(Event.partition(0b0011).removing(node: 1, nodes: 4) == .partition(0b001))
        #expect(Event.heal.removing(node: 1, nodes: 3) == .heal)
    }

    @Test func specsKeepTheirVoters() {
        var spec = Spec()
        spec.nodes = 4
        spec.voters = 3
        #expect(spec.removing(node: 4).map { ($0.nodes, $0.voters) } ?? (0, 0) == (3, 3))
        #expect(spec.removing(node: 1).map { ($0.nodes, $0.voters) } ?? (0, 0) == (3, 2))
        spec.fuzz.minNodes = 4
        #expect(spec.removing(node: 2)?.fuzz.minNodes == 3, "a swarm size range stays within the cluster")
        #expect(spec.removing(node: 2)?.problems().isEmpty == true)
        spec.voters = 1
        #expect(spec.removing(node: 1) == nil)
        spec.nodes = 1
        spec.voters = nil
        #expect(spec.removing(node: 1) == nil)
    }
}

extension TraceEvent {
    func with(kind: String) -> TraceEvent {
        var copy = self
        copy.kind = kind
        return copy
    }
}

/// `isEnabled` agrees with `actions(of:)` on every event of many random walks.
@Suite struct EnabledTests {
    @Test(arguments: ["specs-like split with crashes", "pipelined with crashes", "atomic with partitions, drops, duplicates, ticks",
                      "membership of 4 nodes, 3 voters", "whole core: compaction, async apply, transfer, joint"])
    func isEnabledMatchesActions(variant: String) {
        var spec = Spec()
        spec.events.heartbeat = true
        spec.events.drop = true
        spec.events.duplicate = true
        spec.bounds.maxDrops = 2
        spec.bounds.maxDuplicates = 1
        if variant.hasPrefix("specs") || variant.hasPrefix("pipelined") {
            spec.events.readySteps = variant.hasPrefix("specs") ? .split : .pipelined
            spec.events.crash = true
            spec.events.restart = true
            spec.bounds.maxCrashes = 2
            spec.bounds.maxRestarts = 2
        } else if variant.hasPrefix("membership") {
            spec.nodes = 4
            spec.voters = 3
            spec.symmetry = false
            spec.events.reconfigure = true
            spec.bounds.maxConfChanges = 3
        } else if variant.hasPrefix("whole") {
            (spec.voters, spec.symmetry) = (2, false)
            (spec.raft.preVote, spec.raft.checkQuorum) = (true, true)
            (spec.events.compact, spec.events.asyncApply, spec.events.transfer, spec.events.unreachable, spec.events.joint) =
                (true, true, true, true, true)
            (spec.bounds.maxProposals, spec.bounds.maxConfChanges, spec.bounds.maxCompactions) = (3, 3, 2)
        } else {
            spec.events.partition = true
            spec.events.tick = true
            spec.bounds.maxPartitions = 2
        }
        let model = ClusterModel(spec: spec)
        var rng = Xoshiro256(seed: 9)
        var candidates: [Event] = [.tick(1), .tick(2), .timeout(1), .timeout(3), .heartbeat(1), .crash(2), .restart(2), .propose(1),
                                   .ready(1), .persist(1), .announce(1), .apply(1), .partition(0b001), .partition(0b011), .heal]
        for _ in 0..<60 {
            var state = model.initialStates[0]
            for _ in 0..<40 {
                var enabled: [Event] = []
                model.actions(of: state, into: &enabled)
                guard !enabled.isEmpty else { break }
                candidates += enabled.prefix(3)
                for event in candidates + enabled {
                    #expect(model.isEnabled(event, in: state) == enabled.contains(event), "\(event)")
                }
                let next = enabled[Int(rng.next(below: UInt64(enabled.count)))]
                state = model.nextState(after: state, action: next) ?? state
            }
            candidates.removeLast(max(0, candidates.count - 40))
        }
    }

    /// A model confined to the event shapes of a trace lists exactly the full model's events
    /// that have them, `isEnabled` agrees, and on some states it lists fewer. Shapes tell
    /// nodes and terms apart.
    @Test func shapesConfineTheModel() {
        var spec = Spec()
        spec.symmetry = false
        spec.events.drop = true
        spec.events.reconfigure = true
        spec.bounds.maxDrops = 1
        spec.bounds.maxConfChanges = 2
        let full = ClusterModel(spec: spec)
        var rng = Xoshiro256(seed: 3)
        func walk(_ steps: Int, _ visit: (ClusterState, [Event]) -> Void) -> [Event] {
            var state = full.initialStates[0], taken: [Event] = []
            for _ in 0..<steps {
                var enabled: [Event] = []
                full.actions(of: state, into: &enabled)
                guard !enabled.isEmpty else { break }
                visit(state, enabled)
                let event = enabled[Int(rng.next(below: UInt64(enabled.count)))]
                state = full.nextState(after: state, action: event) ?? state
                taken.append(event)
            }
            return taken
        }
        let shapes = Set(walk(12) { _, _ in }.map(\.shape))
        var confined = full
        confined.shapes = shapes
        #expect(Event.timeout(1).shape != Event.timeout(2).shape)
        #expect(Event.reconfigure(1, ConfChangeSingle(.remove, 2)).shape != Event.reconfigure(1, ConfChangeSingle(.remove, 3)).shape)
        var vote = Message(type: .vote, from: 1, to: 2, term: 1)
        let first = Event.deliver(vote).shape
        vote.index = 5
        #expect(Event.deliver(vote).shape == first)
        vote.term = 2
        #expect(Event.deliver(vote).shape != first)
        var narrower = 0
        for _ in 0..<40 {
            _ = walk(30) { state, enabled in
                var listed: [Event] = []
                confined.actions(of: state, into: &listed)
                #expect(listed == enabled.filter { shapes.contains($0.shape) })
                for event in enabled { #expect(confined.isEnabled(event, in: state) == listed.contains(event), "\(event)") }
                if listed.count < enabled.count { narrower += 1 }
            }
        }
        #expect(narrower > 0)
    }
}

/// A state changed in place (`nextState(replacing:)` on a state held alone) is the state built
/// by copying (`nextState(after:)`), which leaves its input as it was.
@Suite struct InPlaceTests {
    @Test(arguments: ["split with crashes", "partitions, drops, duplicates, ticks, reads", "membership of 4 nodes"])
    func changingInPlaceIsCopying(variant: String) {
        var spec = Spec()
        spec.bounds.maxProposals = 2
        if variant.hasPrefix("split") {
            spec.events.readySteps = .split
            (spec.events.crash, spec.events.restart) = (true, true)
            (spec.bounds.maxCrashes, spec.bounds.maxRestarts) = (2, 2)
        } else if variant.hasPrefix("membership") {
            (spec.nodes, spec.voters, spec.symmetry, spec.events.reconfigure) = (4, 3, false, true)
            spec.bounds.maxConfChanges = 2
        } else {
            (spec.events.partition, spec.events.drop, spec.events.duplicate, spec.events.tick, spec.events.read) = (true, true, true, true, true)
            (spec.bounds.maxPartitions, spec.bounds.maxDrops, spec.bounds.maxDuplicates) = (1, 2, 1)
        }
        let model = ClusterModel(spec: spec)
        var copyEncoder = StateEncoder(), inPlaceEncoder = StateEncoder()
        var rng = Xoshiro256(seed: 5)
        var changedInPlace = 0
        for _ in 0..<40 {
            // Built apart, so the two share no node.
            var (copied, inPlace) = (model.initialStates[0], model.initialStates[0])
            for _ in 0..<50 {
                var enabled: [Event] = []
                model.actions(of: copied, into: &enabled)
                let steps = enabled.compactMap { event in model.nextState(after: copied, action: event).map { (event, $0) } }
                    .filter { model.withinBoundary($0.1) }
                guard !steps.isEmpty else { break }
                let before = model.fingerprint(of: copied, width: .bits128, encoder: &copyEncoder)
                let (event, next) = steps[Int(rng.next(below: UInt64(steps.count)))]
                #expect(model.fingerprint(of: copied, width: .bits128, encoder: &copyEncoder) == before, "\(event) changed its input")
                copied = next
                inPlaceEncoder.forgetParts()  // Nothing but `inPlace` holds its nodes.
                inPlace = model.nextState(replacing: consume inPlace, action: event)!
                changedInPlace += 1
                #expect(model.fingerprint(of: inPlace, width: .bits128, encoder: &inPlaceEncoder)
                        == model.fingerprint(of: copied, width: .bits128, encoder: &copyEncoder), "\(event)")
                #expect(inPlace.history == copied.history && inPlace.reads == copied.reads && inPlace.counters == copied.counters)
                #expect(model.violation(in: inPlace) == model.violation(in: copied))
            }
        }
        #expect(changedInPlace > 1000)
    }
}
