import Expansion
import LinearAlgebra
import XCTest

/// The stitcher's candidate search against trying every pair.
final class StitchingGeometryTests: XCTestCase {
    func testGridFindsExactlyTheBruteForcePairs() {
        var generator = SeededGenerator(seed: 7)
        for trial in 0..<40 {
            let lines = (0..<Int.random(in: 2...5, using: &generator)).map { _ -> [[Double]] in
                // Random walks, some long jumps (segments spanning many cells), some repeats.
                var point = [Double.random(in: 0...1, using: &generator), Double.random(in: 0...1, using: &generator)]
                return (0..<Int.random(in: 1...40, using: &generator)).map { _ in
                    let jump = Double.random(in: 0...1, using: &generator) < 0.05 ? 1.0 : 0.03
                    point = [point[0] + Double.random(in: -jump...jump, using: &generator), point[1] + Double.random(in: -jump...jump, using: &generator)]
                    return point
                }
            }
            let grid = FrontStitcher.candidatePairs(lines).map { [$0.0, $0.1, $0.2, $0.3] }
            let reference = FrontStitcher.segmentPairsBruteForce(lines).map { [$0.0, $0.1, $0.2, $0.3] }
            XCTAssertEqual(grid, reference, "trial \(trial)")
        }
    }

    func testManyFamiliesStitchWithoutTryingEveryPair() throws {
        // 60 chains of 1,001 samples along one front: 1.8 × 10⁹ segment pairs by brute force.
        let curves = (0..<60).map { k -> StitchCurve in
            let offset = Double(k) / 60
            return StitchCurve(identity: "chain-\(k)", samples: (0..<1001).map { i in
                let f1 = offset * 0.5 + 0.5 * Double(i) / 1000
                return CurveSample(coordinate: .t(-1 + 2 * Double(i) / 1000), objectives: [f1, 1 - f1 * f1 + 0.001 * Double(k % 3)])
            })
        }
        let pairs = FrontStitcher.candidatePairs(curves.map { $0.samples.map(\.objectives) })
        XCTAssertLessThan(pairs.count, 2_000_000, "the grid keeps the candidates near linear in the samples")
        let front = try FrontStitcher.stitch(curves) { index, coordinate in
            let f1 = Double(index) / 60 * 0.5 + 0.5 * (coordinate.t! + 1) / 2
            return [f1, 1 - f1 * f1 + 0.001 * Double(index % 3)]
        }
        XCTAssertFalse(front.vertices.isEmpty)
    }
}
