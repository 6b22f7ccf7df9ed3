#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Synchronization

/// The name a trap is reported under, as a property that is always checked: the code under
/// test never traps (a failed precondition, an arithmetic overflow, an index out of range).
public let noTrapProperty = "no_trap"

/// Turns a trap in the code a search runs into a counterexample, as a fuzzer keeps the input
/// that crashed it. Swift cannot recover from a trap, so the process still ends: the thread
/// that trapped asks its `Witness` for a report of the step it was computing (which writes the
/// trace), then the process exits with status 1, a property violated. Other threads that trap
/// meanwhile wait for that exit. A trap in a thread without a witness goes to the handler that
/// was installed before (Swift's backtracer), as if none were installed.
///
/// The report runs in a signal handler on the trapped thread's stack. A Swift trap is raised
/// by Swift code itself, synchronously, so that thread holds no allocator lock (a memory fault
/// inside the allocator, which a trap is not, could hang the report); the report replays the
/// path to the step (each of its states was computed once without trapping) and writes a file.
public enum TrapCatcher {
    /// What a thread is computing: set per step by the search, read only by a report.
    public class Witness: @unchecked Sendable {
        /// The state the step starts from, as the search knows it (BFS and DFS: its parent-table ID).
        public var state: UInt32 = 0
        /// The action being computed, by its index in its state's listing (a replay: the
        /// event's position); -1 between steps.
        public var action = -1
        let report: (Witness, Int32) -> Void

        /// `report` gets the witness and the signal; it prints and writes what it must.
        public init(report: @escaping (Witness, Int32) -> Void) { self.report = report }
    }

    /// The signals a trap raises: SIGILL or SIGTRAP (Swift's traps, by architecture), SIGABRT,
    /// and memory and arithmetic faults.
    public static let signals: [Int32] = [SIGILL, SIGTRAP, SIGABRT, SIGSEGV, SIGBUS, SIGFPE]

    private static let key: pthread_key_t = {
        var key = pthread_key_t()
        precondition(pthread_key_create(&key, nil) == 0, "no thread-local key for the trap catcher")
        return key
    }()

    /// The handlers found at `install`, restored for a trap no witness answers for.
    nonisolated(unsafe) private static var previous: [sigaction] = []
    private static let installed = Mutex(false)
    private static let reporting = Atomic<Bool>(false)

    /// Installs the handlers (once per process).
    public static func install() {
        installed.withLock { done in
            guard !done else { return }
            done = true
            _ = key
            var action = sigaction()
            sigemptyset(&action.sa_mask)
            action.sa_flags = SA_SIGINFO
            #if canImport(Glibc)
            action.__sigaction_handler.sa_sigaction = { signal, _, _ in TrapCatcher.trapped(signal) }
            #else
            action.__sigaction_u.__sa_sigaction = { signal, _, _ in TrapCatcher.trapped(signal) }
            #endif
            previous = signals.map { signal in
                var old = sigaction()
                sigaction(signal, &action, &old)
                return old
            }
        }
    }

    /// Runs `body` with `witness` answering for a trap in this thread (nil: none).
    @inline(__always)
    public static func watching<R>(_ witness: Witness?, _ body: () throws -> R) rethrows -> R {
        guard let witness else { return try body() }
        let outer = pthread_getspecific(key)
        pthread_setspecific(key, Unmanaged.passUnretained(witness).toOpaque())
        defer { pthread_setspecific(key, outer) }
        return try withExtendedLifetime(witness) { try body() }
    }

    /// A signal's name, as a report prints it.
    public static func name(of signal: Int32) -> String {
        switch signal {
        case SIGILL: "SIGILL"
        case SIGTRAP: "SIGTRAP"
        case SIGABRT: "SIGABRT"
        case SIGSEGV: "SIGSEGV"
        case SIGBUS: "SIGBUS"
        case SIGFPE: "SIGFPE"
        default: "signal \(signal)"
        }
    }

    private static func trapped(_ signal: Int32) {
        let witness = pthread_getspecific(key).map { Unmanaged<Witness>.fromOpaque($0).takeUnretainedValue() }
        guard let witness, witness.action >= 0 else {
            // Not a step a witness answers for: the handler before, on the trap's return.
            if let i = signals.firstIndex(of: signal) {
                var old = previous[i]
                sigaction(signal, &old, nil)
            }
            return
        }
        if reporting.exchange(true, ordering: .acquiringAndReleasing) {
            while true { pause() }
        }
        witness.report(witness, signal)
        fflush(nil)  // Every output stream.
        _exit(1)
    }
}
