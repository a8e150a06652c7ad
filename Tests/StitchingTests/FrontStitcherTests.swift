import Expansion
import MultiObjective
import XCTest

/// The stitcher on families whose fronts are known in closed form.
final class FrontStitcherTests: XCTestCase {
    /// A family whose front is `f₂ = line(f₁)` for `f₁ = a + (b − a)(t + 1)/2`, `t ∈ [−1, 1]`.
    struct LineFamily {
        var identity: String
        var range: (Double, Double)
        var f2: (Double) -> Double

        func f1(_ t: Double) -> Double { range.0 + (range.1 - range.0) * (t + 1) / 2 }
        func objectives(_ coordinate: FamilyCoordinate) -> [Double] {
            let x = f1(coordinate.t!)
            return [x, f2(x)]
        }
        func curve(samples: Int) -> StitchCurve {
            StitchCurve(identity: identity, samples: (0..<samples).map { k in
                let t = -1 + 2 * Double(k) / Double(samples - 1)
                return CurveSample(coordinate: .t(t), objectives: objectives(.t(t)))
            })
        }
    }

    func stitch(_ families: [LineFamily], samples: Int = 10, options: StitchOptions = StitchOptions()) throws -> StitchedFront {
        try FrontStitcher.stitch(families.map { $0.curve(samples: samples) }, options: options) { index, coordinate in
            families[index].objectives(coordinate)
        }
    }

    /// Independent O(n²) check that no vertex dominates another.
    func assertMutuallyNonDominated(_ front: StitchedFront, file: StaticString = #filePath, line: UInt = #line) {
        for a in front.vertices {
            for b in front.vertices {
                let dominatesB = a.objectives[0] <= b.objectives[0] && a.objectives[1] <= b.objectives[1] && a.objectives != b.objectives
                XCTAssertFalse(dominatesB, "\(a.objectives) dominates \(b.objectives)", file: file, line: line)
            }
        }
    }

    // A: f₂ = 0.9 − 0.8 f₁, B: f₂ = 1.1 − 1.2 f₁ cross at f₁ = 0.5 (0.4 f₁ = 0.2), f₂ = 0.5;
    // A is better left of it, B right of it.
    let a = LineFamily(identity: "a", range: (0, 1)) { 0.9 - 0.8 * $0 }
    let b = LineFamily(identity: "b", range: (0, 1)) { 1.1 - 1.2 * $0 }

    func testTwoLinesCrossOnceAtTheClosedFormPoint() throws {
        let front = try stitch([a, b])
        XCTAssertEqual(front.crossings.count, 1)
        let crossing = front.crossings[0]
        XCTAssertEqual(crossing.objectives[0], 0.5, accuracy: 1e-12)
        XCTAssertEqual(crossing.objectives[1], 0.5, accuracy: 1e-12)
        // On both families the crossing lies at f₁ = 0.5, i.e. t = 0.
        for coordinate in crossing.coordinates { XCTAssertEqual(coordinate.t!, 0, accuracy: 1e-12) }
        let vertex = try XCTUnwrap(crossing.vertex)
        XCTAssertEqual(front.vertices[vertex].origin, .crossing)
        XCTAssertEqual(front.vertices.filter { $0.origin == .crossing }.count, 1, "inserted exactly once")
        // A's samples left of the crossing, B's right of it: two pieces meeting at the crossing.
        XCTAssertEqual(front.pieces.count, 2)
        XCTAssertTrue(front.gaps.isEmpty)
        for v in front.vertices where v.origin == .sample {
            XCTAssertEqual(front.identities[v.family], v.objectives[0] < 0.5 ? "a" : "b")
        }
        assertMutuallyNonDominated(front)
        let ha = try Hypervolume.compute(a.curve(samples: 10).samples.map(\.objectives), reference: [1.2, 1.2])
        let hb = try Hypervolume.compute(b.curve(samples: 10).samples.map(\.objectives), reference: [1.2, 1.2])
        XCTAssertGreaterThanOrEqual(try front.hypervolume(reference: [1.2, 1.2]), max(ha, hb))
        XCTAssertGreaterThan(try front.hypervolume(reference: [1.2, 1.2]), max(ha, hb) + 1e-3, "the union beats each family")
    }

    func testOrderIndependentAndIdempotent() throws {
        let c = LineFamily(identity: "c", range: (0.2, 0.9)) { 0.8 - 0.9 * ($0 - 0.2) }
        let reference = try stitch([a, b, c])
        for permutation in [[b, a, c], [c, b, a], [a, c, b]] {
            XCTAssertEqual(try stitch(permutation).vertices, reference.vertices)
            XCTAssertEqual(try stitch(permutation).crossings, reference.crossings)
        }
        XCTAssertEqual(try stitch([a, b, c, b, a]), try stitch([a, b, c]).withSources(of: [a, b, c, b, a]))
    }

    func testDisjointPiecesLeaveAReportedGapAndNoLargerJumps() throws {
        let left = LineFamily(identity: "left", range: (0, 0.3)) { 1 - $0 }
        let right = LineFamily(identity: "right", range: (0.6, 1)) { 1 - $0 }
        let front = try stitch([left, right], samples: 7)
        XCTAssertEqual(front.gaps.count, 1)
        let gap = front.gaps[0]
        XCTAssertEqual(gap.distance, (2 * 0.3 * 0.3).squareRoot(), accuracy: 1e-12)
        XCTAssertEqual(front.vertices[gap.from].objectives[0], 0.3, accuracy: 1e-12)
        XCTAssertEqual(front.vertices[gap.to].objectives[0], 0.6, accuracy: 1e-12)
        // t does not advance across the gap: the two sides have the same t.
        XCTAssertEqual(front.vertices[gap.from].t, front.vertices[gap.to].t)
        XCTAssertEqual(gap.t, front.vertices[gap.to].t)
        // Arc length of two straight pieces: 0.3√2 + 0.4√2.
        XCTAssertEqual(front.length, 0.7 * 2.0.squareRoot(), accuracy: 1e-12)
        for i in front.vertices.indices.dropLast() where !front.gaps.contains(where: { $0.from == i }) {
            XCTAssertLessThanOrEqual(Vector2.distance(front.vertices[i].objectives, front.vertices[i + 1].objectives), front.gapTolerance + 1e-15)
        }
        // t of the gap lies at the fraction 0.3 / 0.7 of the length.
        XCTAssertEqual(gap.t, 3.0 / 7.0, accuracy: 1e-12)
    }

    func testDominatedFamilyIsCutAndDominatedStretchesToo() throws {
        let above = LineFamily(identity: "above", range: (0, 1)) { 1.5 - $0 }
                // 0.05 above the line except near f₁ = 0.5, where a bump of depth 0.1 takes it below.
        let dip = LineFamily(identity: "dip", range: (0, 1)) { 1 - $0 + 0.05 - 0.1 * max(0, 1 - pow(($0 - 0.5) / 0.1, 2)) }
        let line = LineFamily(identity: "line", range: (0, 1)) { 1 - $0 }
        let front = try stitch([above, dip, line], samples: 41)
        XCTAssertFalse(front.vertices.contains { front.identities[$0.family] == "above" })
        for v in front.vertices where front.identities[v.family] == "dip" && v.origin == .sample {
            XCTAssertLessThan(v.objectives[1], 1 - v.objectives[0], "only dip samples below the line survive")
        }
        XCTAssertTrue(front.vertices.contains { front.identities[$0.family] == "dip" })
        assertMutuallyNonDominated(front)
    }

    /// On a concave front (ZDT2's f₂ = 1 − f₁²) the chord between samples lies below the
    /// front, so it would dominate other families' true points; only evaluated points count.
    func testConcaveFrontKeepsEveryFamilysTruePoints() throws {
        let coarse = LineFamily(identity: "coarse", range: (0, 1)) { 1 - $0 * $0 }
        let fine = LineFamily(identity: "fine", range: (0.1, 0.9)) { 1 - $0 * $0 }
        let front = try stitch([coarse, fine], samples: 9)
        let distinct = Set((coarse.curve(samples: 9).samples + fine.curve(samples: 9).samples).map(\.objectives))
        XCTAssertEqual(front.vertices.filter { $0.origin == .sample }.count, distinct.count)
        for v in front.vertices { XCTAssertEqual(v.objectives[1], 1 - v.objectives[0] * v.objectives[0], accuracy: 1e-12) }
    }

    func testLocateInterpolatesInsidePiecesAndRejectsOutside() throws {
        let front = try stitch([a, b])
        for v in front.vertices {
            let (family, coordinate) = try front.locate(v.t)
            if front.vertices.filter({ $0.t == v.t }).count == 1 {
                XCTAssertEqual(family, v.family)
                XCTAssertEqual(coordinate.t!, v.coordinate.t!, accuracy: 1e-12)
            }
        }
        // Midway between the first two vertices (one piece of family a): the coordinate midway.
        let (v0, v1) = (front.vertices[0], front.vertices[1])
        let (family, coordinate) = try front.locate((v0.t + v1.t) / 2)
        XCTAssertEqual(family, v0.family)
        XCTAssertEqual(coordinate.t!, (v0.coordinate.t! + v1.coordinate.t!) / 2, accuracy: 1e-12)
        XCTAssertThrowsError(try front.locate(1.5))
        XCTAssertThrowsError(try front.locate(-.ulpOfOne))
        XCTAssertThrowsError(try front.locate(.nan))
    }

    func testRejectsMoreThanTwoObjectivesAndMixedCoordinates() {
        let three = StitchCurve(identity: "x", samples: [CurveSample(coordinate: .t(0), objectives: [1, 2, 3])])
        XCTAssertThrowsError(try FrontStitcher.stitch([three]) { _, _ in [] })
        let mixed = StitchCurve(identity: "y", samples: [
            CurveSample(coordinate: .t(0), objectives: [1, 2]), CurveSample(coordinate: .preference([0.5, 0.5]), objectives: [2, 1]),
        ])
        XCTAssertThrowsError(try FrontStitcher.stitch([mixed]) { _, _ in [] })
        XCTAssertThrowsError(try FrontStitcher.stitch([], options: StitchOptions(gapTolerance: -1)) { _, _ in [] })
    }
}

/// Euclidean distance of two points (the test's own).
enum Vector2 {
    static func distance(_ a: [Double], _ b: [Double]) -> Double {
        zip(a, b).reduce(0) { $0 + ($1.0 - $1.1) * ($1.0 - $1.1) }.squareRoot()
    }
}

extension StitchedFront {
    /// The same front with `sources` as a stitch of `families` would give (duplicates dropped).
    func withSources(of families: [FrontStitcherTests.LineFamily]) -> StitchedFront {
        var copy = self
        copy.sources = identities.map { identity in families.firstIndex { $0.identity == identity }! }
        return copy
    }
}
