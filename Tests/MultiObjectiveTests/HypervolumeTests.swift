import MultiObjective
import XCTest

/// Brute-force hypervolume by inclusion–exclusion over all non-empty subsets T of the points:
///     HV = Σ_T (−1)^(|T|+1) Πᵢ max(0, rᵢ − max_{p ∈ T} pᵢ)
/// (the intersection of the boxes [p, r], p ∈ T, is the box [max_T p, r]). Exponential; ≤ 12 points.
private func inclusionExclusionHypervolume(_ points: [[Double]], reference: [Double]) -> Double {
    precondition(points.count <= 12)
    var total = 0.0
    for mask in 1..<(1 << points.count) {
        var corner = [Double](repeating: -Double.infinity, count: reference.count)
        for (k, p) in points.enumerated() where mask & (1 << k) != 0 {
            for i in corner.indices { corner[i] = max(corner[i], p[i]) }
        }
        var volume = 1.0
        for i in corner.indices { volume *= max(0, reference[i] - corner[i]) }
        total += (mask.nonzeroBitCount % 2 == 1 ? 1 : -1) * volume
    }
    return total
}

final class HypervolumeTests: XCTestCase {
    func testHandComputedTwoDimensional() throws {
        // Points (1,3), (2,2), (3,1), reference (4,4). Column by column in f1:
        // x ∈ [1,2]: covered from y = 3 to 4 → 1; x ∈ [2,3]: from 2 → 2; x ∈ [3,4]: from 1 → 3.
        // Total 6.
        let front: [[Double]] = [[1, 3], [2, 2], [3, 1]]
        let reference: [Double] = [4, 4]
        XCTAssertEqual(try Hypervolume.twoDimensional(front, reference: reference), 6)
        XCTAssertEqual(try Hypervolume.compute(front, reference: reference), 6)
        XCTAssertEqual(try Hypervolume.wfg(front, reference: reference), 6)
        // A dominated point, a duplicate, points beyond the reference and on its boundary
        // (f1 = 4 or f2 = 4: a box of zero area) change nothing.
        let noisy = front + [[2.5, 2.5], [2, 2], [0, 5], [5, 0], [4, 0.5], [0.5, 4]]
        XCTAssertEqual(try Hypervolume.twoDimensional(noisy, reference: reference), 6)
        // Only points outside: 0.
        XCTAssertEqual(try Hypervolume.compute([[4, 4], [5, 1], [1, 5]], reference: reference), 0)
        XCTAssertEqual(try Hypervolume.compute([], reference: reference), 0)
    }

    func testHandComputedThreeDimensional() throws {
        // a = (0,0,2), b = (1,1,0), c = (0,1.5,1), reference (2,2,3). Slices in f3:
        // z ∈ [0,1): only b, area [1,2]² = 1                      → 1
        // z ∈ [1,2): b ∪ c = 1 + [0,2]×[1.5,2] (1) − overlap 0.5  → 1.5
        // z ∈ [2,3): a covers [0,2]² = 4                          → 4
        // Total 6.5 (inclusion–exclusion: 4 + 3 + 2 − 1 − 1 − 1 + 0.5 = 6.5).
        let points: [[Double]] = [[0, 0, 2], [1, 1, 0], [0, 1.5, 1]]
        let reference: [Double] = [2, 2, 3]
        XCTAssertEqual(try Hypervolume.threeDimensional(points, reference: reference), 6.5)
        XCTAssertEqual(try Hypervolume.wfg(points, reference: reference), 6.5)
        XCTAssertEqual(try Hypervolume.compute(points, reference: reference), 6.5)
        // A single box: (2−0.5)(2−1)(3−2.5) = 0.75.
        XCTAssertEqual(try Hypervolume.threeDimensional([[0.5, 1, 2.5]], reference: reference), 0.75)
        let noisy = points + [[1, 1, 1], [0, 1.5, 1], [2, 0, 0], [0, 0, 3], [-1, -1, 5]]
        XCTAssertEqual(try Hypervolume.threeDimensional(noisy, reference: reference), 6.5)
    }

    func testOneDimensionalAndFourDimensionalHand() throws {
        XCTAssertEqual(try Hypervolume.compute([[3], [1], [5]], reference: [4]), 3)
        // Two 4-D boxes from (0,0,0,0) and (1,1,1,-1) to r = (2,2,2,2): 16 + 1·1·1·3 − 1·1·1·2 = 17.
        XCTAssertEqual(try Hypervolume.compute([[0, 0, 0, 0], [1, 1, 1, -1]], reference: [2, 2, 2, 2]), 17)
    }

    func testInvarianceToOrderAndDominatedPoints() throws {
        var rng = SeededGenerator(seed: 11)
        for m in 2...4 {
            let front = rng.spherePoints(count: m == 4 ? 30 : 200, dimension: m)
            let reference = [Double](repeating: 1.05, count: m)
            let value = try Hypervolume.compute(front, reference: reference)
            XCTAssertGreaterThan(value, 0)
            for _ in 0..<3 {
                let shuffled = front.shuffled(using: &rng)
                assertClose(try Hypervolume.compute(shuffled, reference: reference), value, relative: 1e-12)
            }
            // Points moved away from the front by a non-negative offset are dominated (or equal).
            let dominated = front.prefix(50).map { p in p.map { $0 + rng.uniform(0...0.2) } }
            let augmented = (front + dominated).shuffled(using: &rng)
            assertClose(try Hypervolume.compute(augmented, reference: reference), value, relative: 1e-12, "m = \(m)")
        }
    }

    func testAgreesWithInclusionExclusionOnSmallRandomSets() throws {
        var rng = SeededGenerator(seed: 12)
        for m in 2...5 {
            for trial in 0..<20 {
                let count = 1 + trial % 10
                // Alternate continuous points (some outside the reference) with integer grids
                // full of ties and duplicates.
                let points = trial.isMultiple(of: 2)
                    ? rng.uniformPoints(count: count, dimension: m)
                    : rng.integerPoints(count: count, dimension: m, levels: 4).map { $0.map { $0 / 4 } }
                let reference = [Double](repeating: 0.9, count: m)
                let expected = inclusionExclusionHypervolume(points, reference: reference)
                assertClose(try Hypervolume.wfg(points, reference: reference), expected, relative: 1e-12, "m=\(m) wfg")
                assertClose(try Hypervolume.compute(points, reference: reference), expected, relative: 1e-12, "m=\(m)")
                if m == 2 {
                    assertClose(try Hypervolume.twoDimensional(points, reference: reference), expected, relative: 1e-12)
                }
                if m == 3 {
                    assertClose(try Hypervolume.threeDimensional(points, reference: reference), expected, relative: 1e-12)
                }
            }
        }
    }

    func testCoordinatesAcrossZeroAndSignedZeros() throws {
        // Translating the points and the reference together leaves the hypervolume unchanged.
        // Shifted grids straddle 0 (negative keys in the radix sort) and contain −0.0 and +0.0,
        // which are equal coordinates.
        var rng = SeededGenerator(seed: 15)
        for m in 2...3 {
            for trial in 0..<10 {
                let grid = rng.integerPoints(count: trial < 5 ? 9 : 700, dimension: m, levels: 5)
                let shifted = grid.map { p in p.map { v -> Double in v == 2 ? (Bool.random(using: &rng) ? -0.0 : 0.0) : (v - 2) / 4 } }
                let unshifted = grid.map { p in p.map { ($0 - 2) / 4 + 10 } }
                let reference = [Double](repeating: 0.3, count: m)
                let expected = try Hypervolume.wfg(unshifted, reference: reference.map { $0 + 10 })
                assertClose(try Hypervolume.compute(shifted, reference: reference), expected, relative: 1e-12, "m=\(m)")
                if grid.count <= 10 {
                    assertClose(inclusionExclusionHypervolume(shifted, reference: reference), expected, relative: 1e-12)
                }
            }
        }
    }

    func testWFGAgreesWithSweepsOnLargerRandomSets() throws {
        var rng = SeededGenerator(seed: 13)
        for m in 2...3 {
            for trial in 0..<6 {
                let points: [[Double]]
                switch trial % 3 {
                case 0: points = rng.uniformPoints(count: 300, dimension: m)
                case 1: points = rng.spherePoints(count: 150, dimension: m)
                default: points = rng.integerPoints(count: 300, dimension: m, levels: 7).map { $0.map { $0 / 7 } }
                }
                let reference = [Double](repeating: 1, count: m)
                let sweep = m == 2
                    ? try Hypervolume.twoDimensional(points, reference: reference)
                    : try Hypervolume.threeDimensional(points, reference: reference)
                assertClose(try Hypervolume.wfg(points, reference: reference), sweep, relative: 1e-12, "m=\(m) trial \(trial)")
            }
        }
    }

    func testThreeDimensionalSweepOnLargeFrontMatchesSlicing() throws {
        // More than 64² points, so the staircase's bit tree has three levels. Reference value by
        // slicing in f3: HV = Σₖ (z₍ₖ₊₁₎ − z₍ₖ₎) · A₍ₖ₎, with A₍ₖ₎ the area dominated by the points
        // with f3 ≤ z₍ₖ₎, summed column by column over their 2-D front (a ParetoFront, ascending
        // f1): A = Σⱼ (x₍ⱼ₊₁₎ − x₍ⱼ₎)(1 − y₍ⱼ₎), x₍ₖ₊₁₎ = 1.
        var rng = SeededGenerator(seed: 14)
        let points = rng.spherePoints(count: 4_200, dimension: 3)
        let reference: [Double] = [1, 1, 1]
        let sorted = points.sorted { $0[2] < $1[2] }
        var plane = try ParetoFront(dimension: 2)
        var expected = 0.0
        for k in sorted.indices {
            try plane.insert([sorted[k][0], sorted[k][1]])
            let staircase = plane.points
            var area = 0.0
            for j in staircase.indices {
                let right = j + 1 < staircase.count ? staircase[j + 1][0] : 1
                area += (right - staircase[j][0]) * (1 - staircase[j][1])
            }
            let next = k + 1 < sorted.count ? sorted[k + 1][2] : reference[2]
            expected += (next - sorted[k][2]) * area
        }
        assertClose(try Hypervolume.threeDimensional(points, reference: reference), expected, relative: 1e-11)
    }

    func testDenseZDT2FrontConvergesToOneThird() throws {
        // f2 = 1 − f1² on a uniform grid of f1 in [0, 1]; the dominated region of the exact front
        // w.r.t. (1, 1) has area ∫₀¹ (1 − (1 − x²)) dx = 1/3. A finite sample's staircase lies
        // above the curve, so the error is positive and shrinks like 1/N.
        var previousError = Double.infinity
        for n in [10, 100, 1_000, 10_000] {
            let front = (0..<n).map { k -> [Double] in
                let f1 = Double(k) / Double(n - 1)
                return [f1, 1 - f1 * f1]
            }
            let error = 1.0 / 3.0 - (try Hypervolume.compute(front, reference: [1, 1]))
            XCTAssertGreaterThan(error, 0)
            XCTAssertLessThan(error, previousError, "n = \(n)")
            previousError = error
        }
        XCTAssertLessThan(previousError, 1e-3)
    }

    func testInvalidInputThrows() {
        XCTAssertThrowsError(try Hypervolume.compute([[1, 2], [1, 2, 3]], reference: [4, 4]))
        XCTAssertThrowsError(try Hypervolume.compute([[1, .nan]], reference: [4, 4]))
        XCTAssertThrowsError(try Hypervolume.compute([[1, 2]], reference: [4, .infinity]))
        XCTAssertThrowsError(try Hypervolume.compute([[]], reference: []))
        XCTAssertThrowsError(try Hypervolume.twoDimensional([[1, 2, 3]], reference: [4, 4, 4]))
        XCTAssertThrowsError(try Hypervolume.threeDimensional([[1, 2]], reference: [4, 4]))
        XCTAssertThrowsError(try Hypervolume.wfg([[1]], reference: [4]))
    }
}
