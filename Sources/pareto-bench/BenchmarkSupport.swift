import Foundation

/// Wall-clock seconds of `body`.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}

/// The median of `repeats` timings of `body` after `warmup` untimed runs.
func medianSeconds(repeats: Int, warmup: Int = 2, _ body: () throws -> Void) rethrows -> Double {
    for _ in 0..<warmup { try body() }
    var samples: [Double] = []
    for _ in 0..<repeats { samples.append(try seconds(body)) }
    samples.sort()
    return samples[samples.count / 2]
}

/// One JSON line from a dictionary (keys sorted, for stable output).
func jsonLine(_ object: [String: Any]) -> String {
    let data = try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    return String(decoding: data, as: UTF8.self)
}

/// Rounds for display.
func rounded(_ value: Double, _ digits: Int = 3) -> Double {
    let scale = pow(10, Double(digits))
    return (value * scale).rounded() / scale
}

/// Medians of `repeats` rounds in which every body runs once, in order, after `warmup`
/// untimed rounds. Interleaving keeps a ratio of two medians fair on a machine whose load
/// drifts during the run: both bodies see the same load on average.
func interleavedMedianSeconds(repeats: Int, warmup: Int = 2, _ bodies: [() throws -> Void]) throws -> [Double] {
    for _ in 0..<warmup { for body in bodies { try body() } }
    var samples = [[Double]](repeating: [], count: bodies.count)
    for _ in 0..<repeats {
        for (index, body) in bodies.enumerated() { samples[index].append(try seconds(body)) }
    }
    return samples.map { $0.sorted()[$0.count / 2] }
}
