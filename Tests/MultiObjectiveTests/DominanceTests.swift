import MultiObjective
import XCTest

/// O(N²) reference: i is kept iff no point dominates it and no earlier point equals it.
private func bruteForceNonDominated(_ points: [[Double]]) -> [Int] {
    points.indices.filter { i in
        !points.indices.contains { j in
            let a = points[j], b = points[i]
            let noWorse = zip(a, b).allSatisfy { $0 <= $1 }
            let better = zip(a, b).contains { $0 < $1 }
            return (noWorse && better) || (j < i && a == b)
        }
    }
}

final class DominanceTests: XCTestCase {
    func testDominanceRelations() {
        XCTAssertTrue(dominates([1, 2], [1, 3]))
        XCTAssertFalse(dominates([1, 2], [1, 2]))
        XCTAssertFalse(dominates([1, 3], [2, 2]))
        XCTAssertFalse(dominates([1, 3], [1, 2]))
        XCTAssertTrue(weaklyDominates([1, 2], [1, 2]))
        XCTAssertTrue(weaklyDominates([0, 2], [1, 2]))
        XCTAssertFalse(weaklyDominates([0, 3], [1, 2]))
        XCTAssertTrue(strictlyDominates([0, 1], [1, 2]))
        XCTAssertFalse(strictlyDominates([1, 1], [1, 2]))
        XCTAssertEqual(DominanceRelation([1, 2, 3], [1, 2, 4]), .dominates)
        XCTAssertEqual(DominanceRelation([1, 2, 4], [1, 2, 3]), .isDominated)
        XCTAssertEqual(DominanceRelation([1, 2, 3], [1, 2, 3]), .equal)
        XCTAssertEqual(DominanceRelation([0, 2, 4], [1, 2, 3]), .incomparable)
    }

    func testNonDominatedIndicesMatchBruteForce() throws {
        var rng = SeededGenerator(seed: 21)
        for m in 1...4 {
            for trial in 0..<40 {
                let count = [0, 1, 2, 5, 30, 200][trial % 6]
                let points = trial.isMultiple(of: 2)
                    ? rng.integerPoints(count: count, dimension: m, levels: 2 + trial % 5)
                    : rng.uniformPoints(count: count, dimension: m)
                XCTAssertEqual(try nonDominatedIndices(points), bruteForceNonDominated(points), "m=\(m) trial \(trial)")
            }
        }
    }

    func testDuplicatesKeepTheFirst() throws {
        let points: [[Double]] = [[2, 2], [1, 3], [2, 2], [3, 1], [1, 3], [3, 3]]
        XCTAssertEqual(try nonDominatedIndices(points), [0, 1, 3])
        let points3: [[Double]] = [[1, 1, 1], [0, 2, 2], [1, 1, 1], [0, 2, 2]]
        XCTAssertEqual(try nonDominatedIndices(points3), [0, 1])
    }

    func testInvalidInputThrows() {
        XCTAssertThrowsError(try nonDominatedIndices([[1, 2], [1]]))
        XCTAssertThrowsError(try nonDominatedIndices([[1, .infinity]]))
        XCTAssertThrowsError(try nonDominatedIndices([[]]))
        XCTAssertEqual(try nonDominatedIndices([]), [])
    }
}
