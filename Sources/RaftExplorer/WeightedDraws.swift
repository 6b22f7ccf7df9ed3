/// Weighted draws without replacement among a step's actions, each in O(log n): a Fenwick tree
/// (binary indexed tree) over the actions' weights, a drawn action's weight then set to 0.
///
/// A draw picks `p` uniform below the total weight left and returns the first action whose
/// running sum of weights exceeds it: the same action a linear scan of the actions left, in
/// order, returns for the same `p`. Buffers are reused from step to step.
struct WeightedDraws: ~Copyable {
    /// `tree[i]` (1-based) sums the weights of actions `i - lowbit(i) ..< i`; `tree[0]` unused.
    /// Raw buffers: an array's uniqueness and bounds checks cost as much as the tree's work.
    private var tree: UnsafeMutablePointer<UInt64>
    /// Each action's weight left (0 once drawn, or if never to be drawn).
    private var weights: UnsafeMutablePointer<UInt64>
    private var capacity: Int
    /// The number of actions.
    private var count = 0
    /// The weight left in all.
    private(set) var total: UInt64 = 0
    /// The highest power of two at most `count` (0 for none).
    private var top = 0

    init() {
        capacity = 64
        tree = .allocate(capacity: capacity + 1)
        weights = .allocate(capacity: capacity)
    }

    deinit {
        tree.deallocate()
        weights.deallocate()
    }

    var isEmpty: Bool { total == 0 }

    /// Sets up draws among actions `0..<count`, of which `members` may be drawn, action `i`
    /// weighing `weight(i)`.
    @inline(__always)
    mutating func reset(count: Int, members: some Sequence<Int>, weight: (Int) -> UInt64) {
        if count > capacity {
            tree.deallocate()
            weights.deallocate()
            capacity = max(count, 2 * capacity)
            tree = .allocate(capacity: capacity + 1)
            weights = .allocate(capacity: capacity)
        }
        self.count = count
        weights.update(repeating: 0, count: count)
        total = 0
        for i in members {
            precondition(i >= 0 && i < count, "a member out of range")
            let w = weight(i)
            weights[i] = w
            total += w
        }
        tree[0] = 0
        (tree + 1).update(from: weights, count: count)
        for i in stride(from: 1, through: count, by: 1) {
            let parent = i + (i & -i)
            if parent <= count { tree[parent] &+= tree[i] }
        }
        top = count == 0 ? 0 : 1 << (Int.bitWidth - 1 - count.leadingZeroBitCount)
    }

    /// Draws an action left, with probability its weight over `total`, and takes it out.
    /// Not to be called when `isEmpty`.
    mutating func next(_ rng: inout Xoshiro256) -> Int {
        var left = rng.next(below: total)
        // The longest prefix of actions whose weights sum to at most `left`: the drawn action is
        // the one after it.
        var prefix = 0, step = top
        while step > 0 {
            let next = prefix + step
            if next <= count && tree[next] <= left {
                prefix = next
                left -= tree[next]
            }
            step >>= 1
        }
        remove(prefix)
        return prefix
    }

    private mutating func remove(_ action: Int) {
        let w = weights[action]
        weights[action] = 0
        total -= w
        var i = action + 1
        while i <= count {
            tree[i] &-= w
            i += i & -i
        }
    }
}
