import Autodiff
import LinearAlgebra
import Models
import XCTest

/// Reproducible random test inputs (LinearAlgebra's SplitMix64; `uniform` in TestSupport.swift).
private typealias Random = SplitMix64

private func norm(_ x: [Double]) -> Double { x.reduce(0) { $0 + $1 * $1 }.squareRoot() }
private func relativeError(_ a: [Double], _ b: [Double]) -> Double {
    precondition(a.count == b.count)
    return norm(zip(a, b).map { $0 - $1 }) / max(norm(b), 1e-300)
}

/// The fused forward-over-reverse kernel against the independently tested tape
/// (`MultiTaskLoss<MultiLeNet, Double>`), which records the same network op by op.
final class FusedMultiLeNetTests: XCTestCase {
    private struct Problem {
        let tape: MultiTaskLoss<MultiLeNet, Double>
        let fused: FusedMultiLeNetLoss<Double>
        let images: Tensor<Double>
        let labels: [[Int]]
        let x: [Double]
        var random: Random
    }

    private func makeProblem(batch: Int, seed: UInt64) throws -> Problem {
        var random = Random(state: seed)
        let model = MultiLeNet()
        let images = try Tensor<Double>(shape: [batch, 1, 28, 28], scalars: random.uniform(batch * 784, in: -0.5...2.5))
        let labels = (0..<2).map { _ in (0..<batch).map { _ in Int.random(in: 0..<10, using: &random) } }
        let tape = try MultiTaskLoss(model: model, images: images, labels: labels)
        let fused = try FusedMultiLeNetLoss(images: images, labels: labels)
        // Larger than PyTorch's initialisation, so that ReLUs and max-pools are in varied states.
        let x = (model.initialParameters(using: &random) as [Double]).map { 3 * $0 }
        return Problem(tape: tape, fused: fused, images: images, labels: labels, x: x, random: random)
    }

    func testValuesAndJacobianMatchTape() throws {
        for (batch, seed) in [(1, 11), (3, 12), (6, 13)] as [(Int, UInt64)] {
            let p = try makeProblem(batch: batch, seed: seed)
            XCTAssertEqual(p.fused.parameterCount, p.tape.parameterCount)
            XCTAssertEqual(p.fused.objectiveCount, 2)
            let expected = try p.tape.valuesAndJacobian(at: p.x)
            XCTAssertLessThan(relativeError(try p.fused.values(at: p.x), expected.values), 1e-12)
            let actual = try p.fused.valuesAndJacobian(at: p.x)
            XCTAssertLessThan(relativeError(actual.values, expected.values), 1e-12, "batch \(batch)")
            XCTAssertEqual(actual.jacobian.count, 2)
            for task in 0..<2 {
                XCTAssertGreaterThan(norm(expected.jacobian[task]), 1e-3)
                XCTAssertLessThan(relativeError(actual.jacobian[task], expected.jacobian[task]), 1e-12, "batch \(batch), task \(task)")
            }
        }
    }

    func testWeightedGradientAndHessianVectorProductMatchTape() throws {
        for (batch, seed) in [(1, 21), (2, 22), (5, 23)] as [(Int, UInt64)] {
            var p = try makeProblem(batch: batch, seed: seed)
            let v = p.random.uniform(p.x.count)
            for weights in [[0.3, 0.7], [1.0, 0.0], [-0.4, 1.5]] {
                let expected = try p.tape.hessianVectorProduct(at: p.x, along: v, weights: weights)
                let gradient = try p.fused.valuesAndWeightedGradient(at: p.x, weights: weights)
                XCTAssertLessThan(relativeError(gradient.values, expected.values), 1e-12)
                XCTAssertLessThan(relativeError(gradient.gradient, expected.weightedGradient), 1e-12, "batch \(batch), α \(weights)")
                let actual = try p.fused.hessianVectorProduct(at: p.x, along: v, weights: weights)
                XCTAssertLessThan(relativeError(actual.values, expected.values), 1e-12)
                XCTAssertLessThan(relativeError(actual.weightedGradient, expected.weightedGradient), 1e-12)
                XCTAssertGreaterThan(norm(expected.product), 1e-3)
                XCTAssertLessThan(relativeError(actual.product, expected.product), 1e-12, "batch \(batch), α \(weights)")
            }
        }
    }

    /// A batch of three shards of 64 images (the last one partial), each of several of
    /// conv2's blocks of 8 images with a partial last block.
    func testBatchSpanningSeveralShardsAndBlocksMatchesTape() throws {
        XCTAssertEqual(FusedMultiLeNetLoss<Double>.shardImages, 64, "the batch below must span several shards")
        var p = try makeProblem(batch: 150, seed: 71)
        let v = p.random.uniform(p.x.count)
        let weights = [0.7, 0.3]
        let expected = try p.tape.hessianVectorProduct(at: p.x, along: v, weights: weights)
        let actual = try p.fused.hessianVectorProduct(at: p.x, along: v, weights: weights)
        XCTAssertLessThan(relativeError(actual.values, expected.values), 1e-12)
        XCTAssertLessThan(relativeError(actual.weightedGradient, expected.weightedGradient), 1e-12)
        XCTAssertLessThan(relativeError(actual.product, expected.product), 1e-12)
        let jacobian = try p.fused.valuesAndJacobian(at: p.x).jacobian
        let expectedJacobian = try p.tape.valuesAndJacobian(at: p.x).jacobian
        for task in 0..<2 { XCTAssertLessThan(relativeError(jacobian[task], expectedJacobian[task]), 1e-12) }
    }

    /// The prepared (fixed-point) mode gives the full HVP's product exactly, for several
    /// directions at one point, and agrees with the tape.
    func testPreparedHessianVectorProductMatchesFullAndTape() throws {
        var p = try makeProblem(batch: 4, seed: 31)
        let weights = [0.6, 0.4]
        let directions = (0..<3).map { _ in p.random.uniform(p.x.count) }
        let prepared = try p.fused.prepare(at: p.x, weights: weights)
        let tapeGradient = try p.tape.valuesAndWeightedGradient(at: p.x, weights: weights)
        XCTAssertLessThan(relativeError(prepared.gradient, tapeGradient.gradient), 1e-12)
        var products: [[Double]] = []
        for v in directions { products.append(try p.fused.hessianVectorProduct(along: v)) }
        for (v, product) in zip(directions, products) {
            let expected = try p.tape.hessianVectorProduct(at: p.x, along: v, weights: weights).product
            XCTAssertLessThan(relativeError(product, expected), 1e-12)
            XCTAssertEqual(product, try p.fused.hessianVectorProduct(at: p.x, along: v, weights: weights).product)
        }
        // Hessian symmetry: uᵀ(Hv) = vᵀ(Hu).
        let left = zip(directions[0], products[1]).reduce(0) { $0 + $1.0 * $1.1 }
        let right = zip(directions[1], products[0]).reduce(0) { $0 + $1.0 * $1.1 }
        XCTAssertLessThan(abs(left - right) / abs(left), 1e-10)
    }

    /// Calls at another point overwrite every cached buffer (no stale state), and only
    /// `values` / `valuesAndJacobian` discard the prepared point.
    func testReusedInstanceHasNoStaleState() throws {
        var p = try makeProblem(batch: 3, seed: 41)
        let weights = [0.5, 0.5]
        let v = p.random.uniform(p.x.count)
        let otherX = p.random.uniform(p.x.count, in: -0.3...0.3)
        _ = try p.fused.hessianVectorProduct(at: otherX, along: p.random.uniform(p.x.count), weights: [2, -1])
        _ = try p.fused.valuesAndJacobian(at: otherX)
        let actual = try p.fused.hessianVectorProduct(at: p.x, along: v, weights: weights)
        let expected = try p.tape.hessianVectorProduct(at: p.x, along: v, weights: weights)
        XCTAssertLessThan(relativeError(actual.product, expected.product), 1e-12)
        XCTAssertEqual(try p.fused.hessianVectorProduct(along: v), actual.product)
        _ = try p.fused.values(at: otherX)
        XCTAssertThrowsError(try p.fused.hessianVectorProduct(along: v)) {
            XCTAssertEqual($0 as? FusedMultiLeNetError, .notPrepared)
        }
        _ = try p.fused.valuesAndWeightedGradient(at: p.x, weights: weights)
        XCTAssertEqual(try p.fused.hessianVectorProduct(along: v), actual.product)
    }

    /// Running the shards on several tasks, or with OpenBLAS set to several threads, does not
    /// change a single bit (a batch of three shards; 7 tasks are more than there are shards).
    func testResultsDoNotDependOnParallelism() throws {
        var p = try makeProblem(batch: 150, seed: 61)
        let v = p.random.uniform(p.x.count)
        let blasThreads = BLASThreads.count
        defer { BLASThreads.set(blasThreads) }
        BLASThreads.set(1)
        p.fused.parallelism = 1
        let serial = try p.fused.hessianVectorProduct(at: p.x, along: v, weights: [0.2, 0.8])
        let serialJacobian = try p.fused.valuesAndJacobian(at: p.x).jacobian
        for (tasks, threads) in [(1, 2), (2, 1), (2, 2), (3, 1), (7, 2)] {
            BLASThreads.set(threads)
            p.fused.parallelism = tasks
            let parallel = try p.fused.hessianVectorProduct(at: p.x, along: v, weights: [0.2, 0.8])
            XCTAssertEqual(parallel.values, serial.values)
            XCTAssertEqual(parallel.weightedGradient, serial.weightedGradient)
            XCTAssertEqual(parallel.product, serial.product)
            XCTAssertEqual(try p.fused.valuesAndJacobian(at: p.x).jacobian, serialJacobian)
        }
    }

    /// The persistent shard workers under stress: 200 back-to-back sweeps whose task
    /// count changes every call (so workers sit jobs out and rejoin), then two threads sweeping
    /// two instances at once (one of them finds the workers busy and runs its shards itself).
    /// Every result equals the serial one bit for bit.
    func testShardWorkersGiveSerialResultsUnderStress() throws {
        var p = try makeProblem(batch: 130, seed: 67)
        let v = p.random.uniform(p.x.count)
        let blasThreads = BLASThreads.count
        defer { BLASThreads.set(blasThreads) }
        BLASThreads.set(1)
        p.fused.parallelism = 1
        let serial = try p.fused.valuesAndWeightedGradient(at: p.x, weights: [0.3, 0.7])
        let serialProduct = try p.fused.hessianVectorProduct(at: p.x, along: v, weights: [0.3, 0.7]).product
        for call in 0..<200 {
            p.fused.parallelism = [2, 4, 3, 1, 2, 2][call % 6]
            if call % 2 == 0 {
                let result = try p.fused.valuesAndWeightedGradient(at: p.x, weights: [0.3, 0.7])
                XCTAssertEqual(result.values, serial.values, "call \(call)")
                XCTAssertEqual(result.gradient, serial.gradient, "call \(call)")
            } else {
                XCTAssertEqual(try p.fused.hessianVectorProduct(along: v), serialProduct, "call \(call)")
            }
        }
        let other = try FusedMultiLeNetLoss<Double>(images: p.images, labels: p.labels)
        other.parallelism = 2
        p.fused.parallelism = 2
        nonisolated(unsafe) let instances = [p.fused, other]
        nonisolated(unsafe) var products = [[[Double]]](repeating: [], count: 2)
        nonisolated(unsafe) var failures = [String]()
        let lock = NSLock()
        let x = p.x
        DispatchQueue.concurrentPerform(iterations: 2) { thread in
            for _ in 0..<40 {
                do {
                    let product = try instances[thread].hessianVectorProduct(at: x, along: v, weights: [0.3, 0.7]).product
                    lock.withLock { products[thread].append(product) }
                } catch {
                    lock.withLock { failures.append("\(error)") }
                }
            }
        }
        XCTAssertEqual(failures, [])
        for thread in 0..<2 {
            XCTAssertEqual(products[thread].count, 40)
            for product in products[thread] { XCTAssertEqual(product, serialProduct) }
        }
    }

    /// Float32 and Float64 evaluations of the fused kernel agree to single precision.
    func testSinglePrecisionAgreesWithDouble() throws {
        var p = try makeProblem(batch: 3, seed: 51)
        let images = try Tensor<Double>(shape: [3, 1, 28, 28], scalars: p.random.uniform(3 * 784, in: -0.5...2.5))
        let labels = [[1, 7, 3], [0, 9, 4]]
        let x = (MultiLeNet().initialParameters(using: &p.random) as [Double])
        let v = p.random.uniform(x.count)
        let loss64 = try FusedMultiLeNetLoss<Double>(images: images, labels: labels)
        let loss32 = try FusedMultiLeNetLoss<Float>(images: images.converted(to: Float.self), labels: labels)
        let result64 = try loss64.hessianVectorProduct(at: x, along: v, weights: [0.5, 0.5])
        let result32 = try loss32.hessianVectorProduct(at: x.map { Float($0) }, along: v.map { Float($0) }, weights: [0.5, 0.5])
        XCTAssertLessThan(relativeError(result32.values.map(Double.init), result64.values), 1e-5)
        XCTAssertLessThan(relativeError(result32.weightedGradient.map(Double.init), result64.weightedGradient), 1e-4)
        XCTAssertLessThan(relativeError(result32.product.map(Double.init), result64.product), 1e-4)
        let jacobian64 = try loss64.valuesAndJacobian(at: x).jacobian
        let jacobian32 = try loss32.valuesAndJacobian(at: x.map { Float($0) }).jacobian
        for task in 0..<2 {
            XCTAssertLessThan(relativeError(jacobian32[task].map(Double.init), jacobian64[task]), 1e-4)
        }
    }

    func testBadInputsThrow() throws {
        let images = try Tensor<Double>(shape: [2, 1, 28, 28], repeating: 0.5)
        XCTAssertThrowsError(try FusedMultiLeNetLoss(images: try Tensor<Double>(shape: [2, 1, 27, 28], repeating: 0), labels: [[0, 0], [0, 0]])) {
            XCTAssertEqual($0 as? ModelError, .inputShape(expected: [1, 28, 28], actual: [2, 1, 27, 28]))
        }
        XCTAssertThrowsError(try FusedMultiLeNetLoss(images: try Tensor<Double>(shape: [2, 784], repeating: 0), labels: [[0, 0], [0, 0]]))
        XCTAssertThrowsError(try FusedMultiLeNetLoss(images: images, labels: [[0, 0], [0]])) {
            XCTAssertEqual($0 as? ModelError, .labelCount(task: 1, expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try FusedMultiLeNetLoss(images: images, labels: [[0, 0]])) {
            XCTAssertEqual($0 as? ModelError, .taskCount(expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try FusedMultiLeNetLoss(images: images, labels: [[0, 0], [3, 10]])) {
            XCTAssertEqual($0 as? FusedMultiLeNetError, .labelOutOfRange(task: 1, image: 1, label: 10, classes: 10))
        }
        XCTAssertThrowsError(try FusedMultiLeNetLoss(images: images, labels: [[-1, 0], [3, 1]]))
        XCTAssertThrowsError(try FusedMultiLeNetLoss(images: try Tensor<Double>(shape: [0, 1, 28, 28], repeating: 0), labels: [[], []])) {
            XCTAssertEqual($0 as? FusedMultiLeNetError, .emptyBatch)
        }

        let loss = try FusedMultiLeNetLoss(images: images, labels: [[1, 2], [3, 4]])
        let n = loss.parameterCount
        let x = [Double](repeating: 0.01, count: n)
        XCTAssertThrowsError(try loss.hessianVectorProduct(along: x)) {
            XCTAssertEqual($0 as? FusedMultiLeNetError, .notPrepared)
        }
        XCTAssertThrowsError(try loss.values(at: [Double](repeating: 0, count: n - 1))) {
            XCTAssertEqual($0 as? AutodiffError, .dimensionMismatch(argument: "parameters", expected: n, actual: n - 1))
        }
        var bad = x
        bad[17] = .nan
        XCTAssertThrowsError(try loss.valuesAndJacobian(at: bad)) {
            XCTAssertEqual($0 as? AutodiffError, .nonFinite(quantity: "parameters", index: 17))
        }
        XCTAssertThrowsError(try loss.valuesAndWeightedGradient(at: x, weights: [1])) {
            XCTAssertEqual($0 as? AutodiffError, .dimensionMismatch(argument: "weights", expected: 2, actual: 1))
        }
        XCTAssertThrowsError(try loss.prepare(at: x, weights: [1, .infinity])) {
            XCTAssertEqual($0 as? AutodiffError, .nonFinite(quantity: "weights", index: 1))
        }
        XCTAssertThrowsError(try loss.hessianVectorProduct(at: x, along: [1], weights: [1, 1])) {
            XCTAssertEqual($0 as? AutodiffError, .dimensionMismatch(argument: "direction", expected: n, actual: 1))
        }
        XCTAssertThrowsError(try loss.hessianVectorProduct(at: x, along: bad, weights: [1, 1])) {
            XCTAssertEqual($0 as? AutodiffError, .nonFinite(quantity: "direction", index: 17))
        }
        try loss.prepare(at: x, weights: [1, 1])
        XCTAssertThrowsError(try loss.hessianVectorProduct(along: bad)) {
            XCTAssertEqual($0 as? AutodiffError, .nonFinite(quantity: "direction", index: 17))
        }
        // Overflowing parameters: the loss itself becomes non-finite.
        XCTAssertThrowsError(try loss.values(at: [Double](repeating: 1e200, count: n))) {
            guard case .nonFinite? = $0 as? AutodiffError else { return XCTFail("\($0)") }
        }
    }
}
