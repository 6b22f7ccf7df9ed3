/// A walk spelled as bytes, as a byte-level fuzzer (libFuzzer) writes its inputs. From the
/// initial state, each step reads one byte (two, little-endian, where more than 256 actions are
/// enabled) and takes the enabled action it names, modulo their number. A step whose successor
/// is nil or outside the boundary takes nothing and the walk stays; the walk ends when the bytes
/// do, when no action is enabled, at `maxSteps` actions, or at the first state that breaks an
/// `always` property. The same bytes give the same walk in every process: a fuzzer's input
/// replays without the fuzzer.
public struct ByteWalk<M: Model> {
    /// The actions taken, in order.
    public var actions: [M.Action] = []
    /// The `always` property the last state breaks, if any.
    public var violation: String?

    public init(model: M, bytes: some Collection<UInt8>, maxSteps: Int) {
        let always = model.properties.filter { $0.expectation == .always }
        var state = model.initialStates[0]
        var enabled: [M.Action] = []
        var input = bytes.makeIterator()
        if let broken = always.firstFailing(in: state) {
            violation = broken
            return
        }
        while actions.count < maxSteps, let first = input.next() {
            enabled.removeAll(keepingCapacity: true)
            model.actions(of: state, into: &enabled)
            guard !enabled.isEmpty else { return }
            var choice = Int(first)
            if enabled.count > 256, let second = input.next() { choice |= Int(second) << 8 }
            let action = enabled[choice % enabled.count]
            guard let next = model.nextState(after: state, action: action), model.withinBoundary(next) else { continue }
            actions.append(action)
            state = next
            if let broken = always.firstFailing(in: state) {
                violation = broken
                return
            }
        }
    }
}
