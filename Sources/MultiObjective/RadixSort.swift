/// Sorting support for the hypervolume sweeps: a stable least-significant-digit radix sort of
/// 64-bit keys carrying a 64-bit payload (Knuth, TAOCP vol. 3, §5.2.5). On large fronts it is
/// several times faster than a comparison sort and scales linearly in N.
enum RadixSort {
    /// An order-preserving 64-bit image of a finite `Double`: `a < b ⇔ image(a) < image(b)`, and
    /// `−0.0` maps to the image of `+0.0`.
    @inline(__always)
    static func image(_ value: Double) -> UInt64 {
        let bits = (value + 0.0).bitPattern  // −0.0 + 0.0 = +0.0
        return bits & (1 << 63) != 0 ? ~bits : bits | (1 << 63)
    }

    /// The `Double` whose ``image(_:)`` is `image`.
    @inline(__always)
    static func value(_ image: UInt64) -> Double {
        Double(bitPattern: image & (1 << 63) != 0 ? image & ~(1 << 63) : ~image)
    }

    /// Sorts `keys` ascending, stably, applying the same permutation to `payloads`.
    /// 8-bit digits, at most 8 passes; passes in which every key has the same digit are skipped.
    /// Inputs of fewer than 256 keys use a comparison sort (then ties may be reordered).
    static func sort(keys: inout [UInt64], payloads: inout [UInt64]) {
        precondition(keys.count == payloads.count, "RadixSort: \(keys.count) keys, \(payloads.count) payloads")
        let n = keys.count
        if n < 2 { return }
        if n < 256 {
            // Small inputs: a comparison sort avoids the histogram set-up.
            let sorted = zip(keys, payloads).sorted { $0.0 < $1.0 }
            keys = sorted.map(\.0)
            payloads = sorted.map(\.1)
            return
        }
        let digitBits = 8
        let buckets = 1 << digitBits
        let passes = 64 / digitBits
        let mask: UInt64 = UInt64(buckets - 1)
        var counts = [Int](repeating: 0, count: buckets * passes)
        var scratchKeys = [UInt64](repeating: 0, count: n)
        var scratchPayloads = [UInt64](repeating: 0, count: n)
        var resultInScratch = false
        counts.withUnsafeMutableBufferPointer { counts in
            keys.withUnsafeMutableBufferPointer { keysBuffer in
                payloads.withUnsafeMutableBufferPointer { payloadsBuffer in
                    scratchKeys.withUnsafeMutableBufferPointer { scratchKeysBuffer in
                        scratchPayloads.withUnsafeMutableBufferPointer { scratchPayloadsBuffer in
                            var source = (keysBuffer, payloadsBuffer)
                            var target = (scratchKeysBuffer, scratchPayloadsBuffer)
                            for key in source.0 {
                                for pass in 0..<passes {
                                    counts[pass * buckets + Int((key >> UInt64(pass * digitBits)) & mask)] += 1
                                }
                            }
                            for pass in 0..<passes {
                                let base = pass * buckets
                                let shift = UInt64(pass * digitBits)
                                if counts[base + Int((source.0[0] >> shift) & mask)] == n { continue }
                                var offset = 0
                                for bucket in 0..<buckets {
                                    let count = counts[base + bucket]
                                    counts[base + bucket] = offset
                                    offset += count
                                }
                                for i in 0..<n {
                                    let key = source.0[i]
                                    let digit = base + Int((key >> shift) & mask)
                                    let position = counts[digit]
                                    counts[digit] = position + 1
                                    target.0[position] = key
                                    target.1[position] = source.1[i]
                                }
                                swap(&source, &target)
                                resultInScratch.toggle()
                            }
                        }
                    }
                }
            }
        }
        if resultInScratch {
            swap(&keys, &scratchKeys)
            swap(&payloads, &scratchPayloads)
        }
    }

    /// The permutation that sorts finite `values` ascending (stable; `−0.0 = +0.0`).
    static func sortedPermutation(_ values: [Double]) -> [Int] {
        var keys = values.map(image)
        var indices = values.indices.map { UInt64($0) }
        sort(keys: &keys, payloads: &indices)
        return indices.map { Int($0) }
    }
}
