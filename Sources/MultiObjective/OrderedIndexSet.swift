/// A set of integers in `0..<capacity` with insert, remove, predecessor and successor queries in
/// O(log₆₄ capacity) word operations: a 64-ary tree of bit masks (a "fast set"; each level's
/// bit `i` records whether word `i` of the level below is non-zero).
///
/// Used by the 3-D hypervolume sweep as the balanced ordered container over the 2-D staircase
/// (points are identified by their rank in a presorted order, so the universe is known).
struct OrderedIndexSet {
    /// `levels[0]` holds one bit per element; `levels[k + 1]` one bit per word of `levels[k]`.
    private var levels: [[UInt64]]

    init(capacity: Int) {
        var levels: [[UInt64]] = []
        var size = max(capacity, 1)
        repeat {
            let words = (size + 63) >> 6
            levels.append([UInt64](repeating: 0, count: words))
            size = words
        } while size > 1
        self.levels = levels
    }

    mutating func insert(_ element: Int) {
        var i = element
        for level in levels.indices {
            let wasEmpty = levels[level][i >> 6] == 0
            levels[level][i >> 6] |= 1 << UInt64(i & 63)
            if !wasEmpty { return }
            i >>= 6
        }
    }

    mutating func remove(_ element: Int) {
        var i = element
        for level in levels.indices {
            levels[level][i >> 6] &= ~(1 << UInt64(i & 63))
            if levels[level][i >> 6] != 0 { return }
            i >>= 6
        }
    }

    /// The smallest element `≥ element`, if any.
    func next(_ element: Int) -> Int? {
        var i = element
        var level = 0
        // Climb until a word holds a set bit at or after position i.
        while level < levels.count {
            let wordIndex = i >> 6
            if wordIndex >= levels[level].count { return nil }
            let masked = levels[level][wordIndex] & (~0 << UInt64(i & 63))
            if masked != 0 {
                i = (wordIndex << 6) | masked.trailingZeroBitCount
                break
            }
            i = wordIndex + 1
            level += 1
        }
        if level == levels.count { return nil }
        // Descend to the smallest element below the found bit.
        while level > 0 {
            level -= 1
            i = (i << 6) | levels[level][i].trailingZeroBitCount
        }
        return i
    }

    /// The largest element `≤ element`, if any.
    func previous(_ element: Int) -> Int? {
        if element < 0 { return nil }
        var i = element
        var level = 0
        while level < levels.count {
            let wordIndex = i >> 6
            let shift = UInt64(63 - (i & 63))
            let masked = levels[level][wordIndex] & (~0 >> shift)
            if masked != 0 {
                i = (wordIndex << 6) | (63 - masked.leadingZeroBitCount)
                break
            }
            if wordIndex == 0 { return nil }
            i = wordIndex - 1
            level += 1
        }
        if level == levels.count { return nil }
        while level > 0 {
            level -= 1
            i = (i << 6) | (63 - levels[level][i].leadingZeroBitCount)
        }
        return i
    }
}
