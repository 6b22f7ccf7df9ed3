import Testing

/// The checker itself, on histories whose verdict is known.
@Suite struct LinearizabilityTests {
    typealias Op = Linearizability.Operation

    static func op(_ kind: Op.Kind, _ outcome: Op.Outcome, _ invoked: UInt64, _ answered: UInt64, key: String = "k") -> Op {
        Op(key: key, kind: kind, outcome: outcome, invoked: invoked, answered: answered)
    }

    @Test func sequentialAndConcurrent() {
        // A write then a read of it, in sequence.
        #expect(Linearizability.check([Self.op(.put("a"), .ok, 0, 1), Self.op(.get, .value("a"), 2, 3)]) == nil)
        // A read of a value never written.
        #expect(Linearizability.check([Self.op(.put("a"), .ok, 0, 1), Self.op(.get, .value("b"), 2, 3)]) == "k")
        // A stale read: after the second write completed, the first value is read.
        #expect(Linearizability.check([
            Self.op(.put("a"), .ok, 0, 1), Self.op(.put("b"), .ok, 2, 3), Self.op(.get, .value("a"), 4, 5),
        ]) == "k")
        // Concurrent writes: a read may see either, but two later reads must agree in order.
        #expect(Linearizability.check([
            Self.op(.put("a"), .ok, 0, 10), Self.op(.put("b"), .ok, 0, 10),
            Self.op(.get, .value("b"), 11, 12), Self.op(.get, .value("b"), 13, 14),
        ]) == nil)
        #expect(Linearizability.check([
            Self.op(.put("a"), .ok, 0, 10), Self.op(.put("b"), .ok, 0, 10),
            Self.op(.get, .value("b"), 11, 12), Self.op(.get, .value("a"), 13, 14),
        ]) == "k")
        // A read concurrent with a write may see the old or the new value.
        #expect(Linearizability.check([Self.op(.put("a"), .ok, 0, 10), Self.op(.get, .value(nil), 1, 2)]) == nil)
    }

    @Test func compareAndSetAndUnknownOutcomes() {
        #expect(Linearizability.check([
            Self.op(.put("a"), .ok, 0, 1), Self.op(.cas(expected: "a", new: "b"), .ok, 2, 3), Self.op(.get, .value("b"), 4, 5),
        ]) == nil)
        // Two compare-and-sets from the same value cannot both succeed.
        #expect(Linearizability.check([
            Self.op(.put("a"), .ok, 0, 1), Self.op(.cas(expected: "a", new: "b"), .ok, 2, 5), Self.op(.cas(expected: "a", new: "c"), .ok, 2, 5),
        ]) == "k")
        // A write that timed out may take effect later, or never.
        #expect(Linearizability.check([Self.op(.put("a"), .unknown, 0, 0), Self.op(.get, .value("a"), 50, 51)]) == nil)
        #expect(Linearizability.check([Self.op(.put("a"), .unknown, 0, 0), Self.op(.get, .value(nil), 50, 51)]) == nil)
        // But not before it was invoked.
        #expect(Linearizability.check([Self.op(.get, .value("a"), 0, 1), Self.op(.put("a"), .unknown, 5, 0)]) == "k")
        // A lost acknowledged write: read back absent after it completed.
        #expect(Linearizability.check([Self.op(.put("a"), .ok, 0, 1), Self.op(.get, .value(nil), 2, 3)]) == "k")
        // Keys are checked separately.
        #expect(Linearizability.check([
            Self.op(.put("a"), .ok, 0, 1, key: "x"), Self.op(.get, .value(nil), 2, 3, key: "y"), Self.op(.get, .value("a"), 2, 3, key: "x"),
        ]) == nil)
    }
}
