import Foundation
import RaftCore
import RaftSim
import RaftSpecModel

/// What hostile input must survive: the bytes go through the spec loader (as UTF-8 text) and
/// through the trace decoder. A spec that validates runs `steps` steps of its model, and a trace
/// that decodes is replayed. Refusing the input (an `InputError`) is the expected outcome; a
/// trap is a bug. The decoders' fuzz target and the hardening tests both run this.
public enum DecoderExercise {
    public static func run(_ bytes: [UInt8], steps: Int = 40) {
        let text = String(decoding: bytes, as: UTF8.self)
        if case .cluster(let spec)? = try? SpecLoader.parse(text, file: "input.yaml"), spec.problems().isEmpty {
            // The input's own bytes pick the actions, so a finding reproduces from the input alone.
            var choices = SplitMix64(seed: UInt64(bytes.count))
            walk(spec, steps: steps) { Int(choices.next(below: UInt64($0))) }
        }
        switch try? TraceFile.decodeAny(Data(bytes), file: "input.json") {
        case .cluster(let trace, let events)?: _ = ClusterModel(spec: trace.spec).replay(events)
        case .raftTLA(let trace, let actions)?: _ = RaftTLAModel(spec: trace.spec).replay(actions)
        case nil: break
        }
    }

    /// Up to `steps` events of `spec`'s model from its initial state, each picked by `choose`
    /// among the enabled ones (given their count), checking the properties on every state.
    public static func walk(_ spec: Spec, steps: Int, choose: (Int) -> Int) {
        let model = ClusterModel(spec: spec)
        var state = model.initialStates[0]
        var enabled: [Event] = []
        for _ in 0..<steps {
            enabled.removeAll(keepingCapacity: true)
            model.actions(of: state, into: &enabled)
            guard !enabled.isEmpty, let next = model.nextState(after: state, action: enabled[choose(enabled.count)]),
                  model.withinBoundary(next) else { return }
            _ = model.violation(in: next)
            state = next
        }
    }
}
