import RaftCore
import RaftExplorer
import Testing
@testable import RaftSim

/// The events that reach snapshots, transfers, joint configurations and asynchronous apply do
/// what they say on the real core, and complete searches of small specs reach each milestone.
@Suite struct WholeCoreTests {
    @Test func stateMachineImagesRoundTrip() {
        let entries = [Entry(term: 1, index: 1, kind: .confChange, data: [1, 2, 3]), Entry(term: 2, index: 2, data: [])]
        #expect(StateMachineImage.decode(StateMachineImage.encode(entries)) == entries)
        #expect(StateMachineImage.decode([1, 2, 3]) == nil)
    }

    /// With `any_change`, the application also asks for changes the configuration does not
    /// admit; the leader turns each into an empty entry, so no node refuses a committed change.
    @Test func changesTheConfigurationDoesNotAdmitAreAskedAndScreened() throws {
        var spec = Spec()
        (spec.nodes, spec.voters, spec.symmetry) = (2, 1, false)
        (spec.events.heartbeat, spec.events.propose) = (false, false)
        (spec.events.reconfigure, spec.events.joint, spec.events.anyChange) = (true, true, true)
        (spec.bounds.maxTerm, spec.bounds.maxConfChanges, spec.bounds.maxInFlight) = (1, 3, 3)
        let model = ClusterModel(spec: spec)
        var state = try #require(model.nextState(after: model.initialStates[0], action: .timeout(1)))
        #expect(state[1].view.role == .leader)
        var enabled: [Event] = []
        model.actions(of: state, into: &enabled)
        let removeLast = Event.reconfigure(1, ConfChangeSingle(.remove, 1))
        #expect(enabled.contains(removeLast) && enabled.contains(.leaveJoint(1)))
        for event in [removeLast, .leaveJoint(1)] {
            state = try #require(model.nextState(after: state, action: event))
            #expect(state[1].box.upNode.raft.tracker.config.voters.voters == [1], "\(event)")
            #expect(model.violation(in: state) == nil, "\(event)")
        }
        // A list naming the voter twice: demoted into the joint configuration's learners-to-be,
        // then promoted back, it stays a voter of both halves and no learner.
        let twice = Event.enterJoint(1, JointChange(ConfChangeSingle(.addLearner, 1), ConfChangeSingle(.addVoter, 1), explicit: true))
        enabled.removeAll()
        model.actions(of: state, into: &enabled)
        #expect(enabled.contains(twice))
        state = try #require(model.nextState(after: state, action: twice))
        let config = state[1].box.upNode.raft.tracker.config
        #expect(config.voters.isJoint && config.voters.voters == [1])
        #expect(config.learners.isEmpty && config.learnersNext.isEmpty)
        #expect(model.violation(in: state) == nil)
        var options = SearchOptions()
        options.workers = 2
        let report = try BreadthFirstSearch(model: model, options: options).run()
        #expect(report.counterexample == nil)
        #expect(report.end == .complete)
    }

    /// The application reports each snapshot it sent, also once the follower acknowledged it
    /// (the leader no longer waits for it): the report is then ignored. A crash of the sender
    /// loses its reports.
    @Test func aSnapshotReportMayArriveLate() throws {
        var spec = Spec()
        (spec.events.heartbeat, spec.events.compact, spec.events.crash, spec.events.restart) = (false, true, true, true)
        (spec.bounds.maxTerm, spec.bounds.maxProposals, spec.bounds.maxCrashes, spec.bounds.maxRestarts) = (1, 2, 1, 1)
        let model = ClusterModel(spec: spec)
        var events: [Event] = []
        var late: (state: ClusterState, leader: NodeID, peer: NodeID)?
        for run in 0..<2000 where late == nil {
            var rng = Xoshiro256(seed: runSeed(11, run))
            var state = model.initialStates[0]
            for _ in 0..<80 where late == nil {
                events.removeAll()
                model.actions(of: state, into: &events)
                for case .reportSnapshot(let leader, let peer, false) in events
                where state[leader].box.upNode.raft.tracker.progress(of: peer, { $0.state == .snapshot }) == false {
                    late = (state, leader, peer)
                }
                let successors = events.compactMap { model.nextState(after: state, action: $0) }.filter(model.withinBoundary)
                guard !successors.isEmpty else { break }
                state = successors[Int(rng.next(below: UInt64(successors.count)))]
            }
        }
        let (state, leader, peer) = try #require(late, "no walk reached a late snapshot report")
        let progress = state[leader].box.upNode.raft.tracker.progress(of: peer, { $0 })
        let reported = try #require(model.nextState(after: state, action: .reportSnapshot(leader, peer, failed: false)))
        #expect(reported.unreportedSnapshots & ClusterState.snapshotBit(from: leader, to: peer) == 0)
        #expect(reported[leader].box.upNode.raft.tracker.progress(of: peer, { $0 }) == progress)
        #expect(model.violation(in: reported) == nil)
        #expect(state.unreportedSnapshots & ClusterState.snapshotBit(from: leader, to: peer) != 0)
        let crashed = try #require(model.nextState(after: state, action: .crash(leader)))
        #expect(crashed.unreportedSnapshots & ClusterState.snapshotBit(from: leader, to: peer) == 0)
    }

    /// With `ready_steps: pipelined` a node takes input while its Ready is carried out (with
    /// `split`, only the Ready's next step): a candidate may time out again and take votes
    /// before its own vote is durable. Walks find nothing on the real core, and catch
    /// `stable-to-ignores-term`: a new leader's entries arrive while an old leader's are being
    /// written, and the write's acknowledgement takes them for written.
    @Test func inputMeetsAReadyUnderWay() throws {
        var spec = Spec()
        (spec.events.crash, spec.events.restart, spec.events.readySteps) = (true, true, .pipelined)
        (spec.bounds.maxTerm, spec.bounds.maxProposals, spec.bounds.maxInFlight, spec.bounds.maxCrashes, spec.bounds.maxRestarts) = (4, 3, 8, 2, 2)
        var split = spec
        split.events.readySteps = .split
        var state = ClusterModel(spec: spec).initialStates[0]
        for event in [Event.timeout(1), .ready(1), .timeout(3), .ready(3)] {
            state = try #require(ClusterModel(spec: spec).nextState(after: state, action: event))
        }
        let toCandidate = try #require(state.network.first { $0.to == 1 })
        for (mode, takes) in [(spec, true), (split, false)] {
            let model = ClusterModel(spec: mode)
            var enabled: [Event] = []
            model.actions(of: state, into: &enabled)
            #expect(enabled.contains(.persist(1)))
            #expect(enabled.contains(.timeout(1)) == takes)
            #expect(enabled.contains(.deliver(toCandidate)) == takes)
        }
        let (model, found) = try LivenessTests.cleanThenCaught(spec, mutation: "stable-to-ignores-term", runs: 3000, depth: 150)
        // The node's storage lacks an entry it acknowledged, or it applies the one it kept.
        #expect([PropertyName.committedDurable, .stateMachineSafety].map(\.rawValue).contains(found.property))
        let replayed = model.replay(found.actions)
        #expect(replayed.divergedAt == nil)
        let last = try #require(replayed.states.last)
        #expect(model.violation(in: last) == found.property)
        #expect(last.history.reached.contains(.writeOverwritten))
    }

    /// A small search per feature: it completes clean, and reaches what the feature is for.
    @Test(arguments: ["snapshot", "transfer", "joint", "step-down", "ready-limit"])
    func searchesReachTheirMilestones(feature: String) throws {
        var spec = Spec()
        (spec.events.heartbeat, spec.bounds.maxTerm, spec.bounds.maxInFlight) = (false, 1, 3)
        switch feature {
        case "snapshot":
            (spec.events.compact, spec.events.crash, spec.events.restart) = (true, true, true)
            (spec.bounds.maxCrashes, spec.bounds.maxRestarts) = (1, 1)
        case "transfer":
            (spec.raft.preVote, spec.raft.checkQuorum, spec.events.transfer, spec.events.propose) = (true, true, true, false)
            spec.bounds.maxTerm = 2
        case "joint":
            (spec.voters, spec.symmetry, spec.events.propose) = (2, false, false)
            (spec.events.joint, spec.events.asyncApply, spec.bounds.maxConfChanges) = (true, true, 1)
        case "step-down":
            (spec.nodes, spec.symmetry, spec.events.propose, spec.events.reconfigure) = (2, false, false, true)
            (spec.raft.stepDownOnRemoval, spec.bounds.maxConfChanges) = (true, 1)
        default:
            (spec.raft.maxCommittedSizePerReady, spec.bounds.maxProposals) = (0, 2)
        }
        let model = ClusterModel(spec: spec)
        let names = ClusterModel.milestones(spec).map(\.0)
        #expect(!names.isEmpty)
        var options = SearchOptions()
        options.workers = 2
        let report = try BreadthFirstSearch(model: model, options: options).run()
        #expect(report.counterexample == nil)
        #expect(report.end == .complete)
        #expect(report.unsatisfiedSometimes.isEmpty, "never reached: \(report.unsatisfiedSometimes)")
    }
}

/// A failure that would end the process (a trap) is minimized through `Minimizer.isolated`
/// alone: here an in-process stand-in for the child's replay, failing when node 1 leads.
@Suite struct IsolatedMinimizerTests {
    @Test func candidatesGoThroughTheIsolatedReplay() throws {
        var spec = Spec()
        (spec.events.heartbeat, spec.bounds.maxTerm, spec.bounds.maxProposals) = (false, 2, 1)
        let model = ClusterModel(spec: spec)
        let leads = { (model: ClusterModel, events: [Event]) -> [Event]? in
            var (state, executed) = (model.initialStates[0], [Event]())
            for event in events where model.isEnabled(event, in: state) {
                guard let next = model.nextState(after: state, action: event), model.withinBoundary(next) else { continue }
                (state, executed) = (next, executed + [event])
                if state[1].isUp && state[1].view.role == .leader { return executed }
            }
            return nil
        }
        // A random walk, detours and all, until node 1 leads.
        var rng = Xoshiro256(seed: 3)
        var (state, events, enabled) = (model.initialStates[0], [Event](), [Event]())
        var tries = 0
        while !(state[1].view.role == .leader) {
            tries += 1
            if tries > 1000 { (state, events, tries) = (model.initialStates[0], [], 0) }  // Stuck: start over.
            enabled.removeAll()
            model.actions(of: state, into: &enabled)
            guard !enabled.isEmpty else { continue }
            let event = enabled[Int(rng.next(below: UInt64(enabled.count)))]
            guard let next = model.nextState(after: state, action: event), model.withinBoundary(next) else { continue }
            (state, events) = (next, events + [event])
        }
        var minimizer = Minimizer(model: model, property: PropertyName.noTrap.rawValue)
        var calls = 0
        minimizer.isolated = { model, events in
            calls += 1
            return leads(model, events)
        }
        let result = minimizer.minimize(events)
        let minimized = try #require(result)
        // The cluster shrinks too: alone, node 1 leads on its first timeout.
        #expect(minimized == [.timeout(1)], "\(minimized)")
        #expect(minimizer.model.spec.nodes == 1)
        #expect(events.count > 1)
        #expect(calls == minimizer.replays && calls > 0)
        #expect(leads(minimizer.model, minimized) == minimized)
    }
}
