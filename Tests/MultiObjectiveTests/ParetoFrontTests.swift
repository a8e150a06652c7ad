import MultiObjective
import XCTest

/// Reference front of a sequence of (point, payload): the non-dominated points, of equal points
/// the first, sorted lexicographically.
private func bruteForceFront(_ items: [([Double], Int?)]) -> [ParetoFront.Entry] {
    let kept = items.indices.filter { i in
        !items.indices.contains { j in
            let a = items[j].0, b = items[i].0
            let noWorse = zip(a, b).allSatisfy { $0 <= $1 }
            return (noWorse && a != b) || (j < i && a == b)
        }
    }
    return kept.map { ParetoFront.Entry(objectives: items[$0].0, payload: items[$0].1) }
        .sorted { $0.objectives.lexicographicallyPrecedes($1.objectives) }
}

final class ParetoFrontTests: XCTestCase {
    func testInsertMatchesBruteForce() throws {
        var rng = SeededGenerator(seed: 31)
        for m in 2...3 {
            for trial in 0..<10 {
                let points = trial.isMultiple(of: 2)
                    ? rng.integerPoints(count: 150, dimension: m, levels: 8)
                    : rng.uniformPoints(count: 150, dimension: m)
                var front = try ParetoFront(dimension: m)
                var inserted: [([Double], Int?)] = []
                for (k, p) in points.enumerated() {
                    let expectAccepted = !front.points.contains { q in zip(q, p).allSatisfy { $0 <= $1 } }
                    XCTAssertEqual(try front.insert(p, payload: k), expectAccepted)
                    inserted.append((p, k))
                    XCTAssertEqual(front.entries, bruteForceFront(inserted), "m=\(m) trial \(trial) step \(k)")
                }
                XCTAssertEqual(front.count, bruteForceFront(inserted).count)
                // The bulk initialiser gives the same front.
                XCTAssertEqual(try ParetoFront(points: points, payloads: Array(points.indices)), front)
            }
        }
    }

    func testTwoObjectiveFrontIsSortedAscendingFirstDescendingSecond() throws {
        var rng = SeededGenerator(seed: 32)
        let front = try ParetoFront(points: rng.uniformPoints(count: 500, dimension: 2))
        for (a, b) in zip(front.points, front.points.dropFirst()) {
            XCTAssertLessThan(a[0], b[0])
            XCTAssertGreaterThan(a[1], b[1])
        }
    }

    func testUnionAndCropMatchBruteForce() throws {
        var rng = SeededGenerator(seed: 33)
        for m in 2...3 {
            for _ in 0..<10 {
                let a = rng.integerPoints(count: 60, dimension: m, levels: 6)
                let b = rng.integerPoints(count: 60, dimension: m, levels: 6)
                let frontA = try ParetoFront(points: a, payloads: Array(0..<60))
                let frontB = try ParetoFront(points: b, payloads: Array(100..<160))
                // Union: self's entries win on equal points.
                let union = try frontA.union(frontB)
                let items = frontA.entries.map { ($0.objectives, $0.payload) } + frontB.entries.map { ($0.objectives, $0.payload) }
                XCTAssertEqual(union.entries, bruteForceFront(items))
                var formed = frontA
                try formed.formUnion(frontB)
                XCTAssertEqual(formed, union)
                // Crop: drop what some point of the other front dominates (equal points stay).
                let cropped = try frontA.cropped(dominatedBy: frontB)
                let expected = frontA.entries.filter { e in
                    !frontB.points.contains { q in dominates(q, e.objectives) }
                }
                XCTAssertEqual(cropped.entries, expected)
                // Box crop against a direct filter.
                let lower = [Double](repeating: 1, count: m)
                let upper = [Double](repeating: 4, count: m)
                let boxed = try frontA.cropped(lower: lower, upper: upper)
                XCTAssertEqual(boxed.entries, frontA.entries.filter { e in e.objectives.allSatisfy { (1...4).contains($0) } })
            }
        }
    }

    func testHypervolumeOfFrontAndInvalidInput() throws {
        var front = try ParetoFront(dimension: 2)
        XCTAssertEqual(try front.hypervolume(reference: [4, 4]), 0)
        try front.insert([1, 3], payload: 7)
        try front.insert([3, 1], payload: 8)
        try front.insert([2, 2], payload: 9)
        try front.insert([2.5, 2.5])
        XCTAssertEqual(front.payloads, [7, 9, 8])
        XCTAssertEqual(try front.hypervolume(reference: [4, 4]), 6)

        XCTAssertThrowsError(try front.insert([1, 2, 3]))
        XCTAssertThrowsError(try front.insert([.nan, 0]))
        XCTAssertThrowsError(try ParetoFront(points: [[1, 2], [1, 2, 3]]))
        XCTAssertThrowsError(try ParetoFront(points: [[1, 2]], payloads: [1, 2]))
        XCTAssertThrowsError(try ParetoFront(dimension: 0))
        XCTAssertThrowsError(try front.union(ParetoFront(dimension: 3)))
        XCTAssertThrowsError(try front.crop(dominatedBy: ParetoFront(dimension: 3)))
        XCTAssertThrowsError(try front.crop(lower: [0], upper: [1, 1]))
    }
}
