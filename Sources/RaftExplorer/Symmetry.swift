/// Symmetry reduction for a model whose nodes are interchangeable: one fingerprint per orbit of
/// states under relabeling of the nodes, shared by every model.
///
/// A state's canonical fingerprint is the least hash of its encoding over the relabelings that
/// put the nodes in order of an ID-blind key (a function of a node's state invariant under
/// relabeling), permuting only nodes with equal keys. Two states of one orbit try corresponding
/// relabelings, so they share the least hash: the reduction is exact. A finer key only leaves
/// fewer orderings to try.
public enum Symmetry {
    /// Per node slot, the keys nodes are ordered by: the key, then a refinement of it.
    public typealias Keys = InlineArray<8, (UInt64, UInt64)>

    /// Orderings tried per state before settling for one: past it the fingerprint is still
    /// sound (never merges inequivalent states) but may keep an orbit as several states.
    public static let orderingCap = 720

    /// The canonical fingerprint of a state of `count` nodes whose keys are `keys[slot].0`, and
    /// the relabeling whose encoding it hashes, nil when the orderings passed `orderingCap`.
    /// - `refine` may give the nodes in `tied` (bit s: slot s) a second key, `keys[slot].1`,
    ///   invariant under relabeling like the first; it is called only when keys tie.
    /// - `encode` writes the state with slot s named by `relabeling.position(of: s)`.
    /// - `everyRelabeling` tries all `count!` relabelings instead (a test oracle).
    @inlinable
    public static func canonicalFingerprint(
        count n: Int, keys: Keys, width: HashWidth, encoder: inout StateEncoder, everyRelabeling: Bool = false,
        refine: (inout Keys, _ tied: UInt64) -> Void,
        encode: (Relabeling, inout StateEncoder) -> Void
    ) -> (fingerprint: Fingerprint, relabeling: Relabeling?) {
        precondition(n >= 1 && n <= 8, "symmetry covers 1 to 8 nodes")
        // The order lives on the stack: a fingerprint is taken of every generated state.
        return withUnsafeTemporaryAllocation(of: Int.self, capacity: n) { buffer in
            _ = buffer.initialize(from: 0..<n)
            var order = buffer
            var keys = keys
            var best: (fingerprint: Fingerprint, relabeling: Relabeling)?
            func tryOrder() {
                encoder.reset()
                let relabeling = Relabeling(ordering: order)
                encode(relabeling, &encoder)
                let fp = encoder.hash(width)
                if best.map({ fp < $0.fingerprint }) ?? true { best = (fp, relabeling) }
            }
            if everyRelabeling {
                repeat { tryOrder() } while order[...].nextPermutation()
                return (best!.fingerprint, best!.relabeling)
            }
            order.sort { (keys[$0].0, keys[$0].1, $0) < (keys[$1].0, keys[$1].1, $1) }
            var groups = tiedGroups(order, keys)
            if !groups.isEmpty {
                var tied: UInt64 = 0
                for slot in groups.joined().lazy.map({ order[$0] }) { tied |= 1 << UInt64(slot) }
                refine(&keys, tied)
                order.sort { (keys[$0].0, keys[$0].1, $0) < (keys[$1].0, keys[$1].1, $1) }
                groups = tiedGroups(order, keys)
            }
            let orderings = groups.reduce(1) { product, group in (1...group.count).reduce(product, *) }
            let exact = orderings <= orderingCap
            repeat { tryOrder() } while exact && nextOrdering(order, groups)
            return (best!.fingerprint, exact ? best!.relabeling : nil)
        }
    }

    /// The runs of equal keys in `order` (sorted by key), each longer than one node.
    @usableFromInline
    static func tiedGroups(_ order: UnsafeMutableBufferPointer<Int>, _ keys: Keys) -> [Range<Int>] {
        var groups: [Range<Int>] = []
        var start = 0
        for i in 1...order.count where i == order.count || keys[order[i]] != keys[order[start]] {
            if i - start > 1 { groups.append(start..<i) }
            start = i
        }
        return groups
    }

    /// Advances `order` to the next permutation within `groups` (odometer order); false after
    /// the last one.
    @usableFromInline
    static func nextOrdering(_ order: UnsafeMutableBufferPointer<Int>, _ groups: [Range<Int>]) -> Bool {
        for group in groups.reversed() {
            if order[group].nextPermutation() { return true }
            order[group].sort()
        }
        return false
    }
}

extension Relabeling {
    /// The relabeling that gives node `order[p]` (a slot) position `p`.
    @inlinable
    public init(ordering order: UnsafeMutableBufferPointer<Int>) {
        var packed: UInt64 = 0
        for (position, slot) in order.enumerated() { packed |= UInt64(position) << (3 * UInt64(slot)) }
        self.init(packed: packed, count: order.count)
    }
}

extension MutableCollection where Self: BidirectionalCollection, Element: Comparable {
    /// Rearranges into the next permutation in lexicographic order; false (and unchanged) if
    /// this is the last one.
    @inlinable
    public mutating func nextPermutation() -> Bool {
        guard var i = index(endIndex, offsetBy: -1, limitedBy: startIndex), i != startIndex else { return false }
        while true {
            let j = i
            formIndex(before: &i)
            if self[i] < self[j] {
                var k = index(before: endIndex)
                while !(self[i] < self[k]) { formIndex(before: &k) }
                swapAt(i, k)
                self[j...].reverse()
                return true
            }
            if i == startIndex { return false }
        }
    }
}
