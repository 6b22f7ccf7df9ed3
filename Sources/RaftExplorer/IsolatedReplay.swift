#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Replays a path in a child process, for a failure that ends the process meeting it: a trap
/// (`noTrapProperty`). The child replays strictly (an action not enabled where it falls, or
/// that leaves the boundary, is skipped), tells the parent through a pipe the position of
/// each action before computing it, and dies by the trap's signal (with no handler of its
/// own) or exits 0 at the end.
public enum IsolatedReplay {
    /// The actions executed up to and including the one that trapped, or nil if none trapped.
    public static func untilTrap<M: Model>(_ actions: [M.Action], on model: M) -> [M.Action]? {
        var ends: [Int32] = [0, 0]
        guard pipe(&ends) == 0 else { return nil }
        fflush(nil)  // The child must not write the parent's buffered output again.
        let child = fork()
        if child == 0 {
            close(ends[0])
            for trap in TrapCatcher.signals { signal(trap, SIG_DFL) }
            var state = model.initialStates[0]
            var enabled: [M.Action] = []
            for (position, action) in actions.enumerated() {
                enabled.removeAll(keepingCapacity: true)
                model.actions(of: state, into: &enabled)
                guard enabled.contains(action) else { continue }
                var word = UInt32(position)
                guard write(ends[1], &word, 4) == 4 else { _exit(2) }
                if let next = model.nextState(after: state, action: action), model.withinBoundary(next) { state = next }
            }
            _exit(0)
        }
        close(ends[1])
        var written: [Int] = []
        var word: UInt32 = 0
        while read(ends[0], &word, 4) == 4 { written.append(Int(word)) }
        close(ends[0])
        guard child > 0 else { return nil }
        var status: Int32 = 0
        while waitpid(child, &status, 0) < 0 && errno == EINTR {}
        // Killed by a signal: the low seven bits hold it (neither 0, an exit, nor 0x7f, a stop).
        let signal = status & 0x7f
        guard signal != 0 && signal != 0x7f, TrapCatcher.signals.contains(signal), let last = written.last else { return nil }
        // Every action written before the last was computed without trapping: recomputed here,
        // those that stayed within the boundary are the ones executed.
        var state = model.initialStates[0]
        var executed: [M.Action] = []
        for position in written.dropLast() {
            guard let next = model.nextState(after: state, action: actions[position]), model.withinBoundary(next) else { continue }
            state = next
            executed.append(actions[position])
        }
        return executed + [actions[last]]
    }
}
