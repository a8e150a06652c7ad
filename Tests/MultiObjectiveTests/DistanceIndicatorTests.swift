import MultiObjective
import XCTest

final class DistanceIndicatorTests: XCTestCase {
    func testHandExamples() throws {
        // A = {(0,0)}, Z = {(0,1), (3,4)}: distances 1 and 5.
        // GD = min(1, 5) = 1; IGD = (1 + 5)/2 = 3; a is better than both z in every objective,
        // so d⁺ = 0 everywhere: GD⁺ = IGD⁺ = 0.
        let a: [[Double]] = [[0, 0]]
        let z: [[Double]] = [[0, 1], [3, 4]]
        XCTAssertEqual(try DistanceIndicators.generationalDistance(a, referenceFront: z), 1)
        XCTAssertEqual(try DistanceIndicators.invertedGenerationalDistance(a, referenceFront: z), 3)
        XCTAssertEqual(try DistanceIndicators.generationalDistancePlus(a, referenceFront: z), 0)
        XCTAssertEqual(try DistanceIndicators.invertedGenerationalDistancePlus(a, referenceFront: z), 0)

        // A = {(1,1), (4,4)}, Z = {(1,2)}: ‖(1,1)−(1,2)‖ = 1, ‖(4,4)−(1,2)‖ = √13.
        // GD = (1 + √13)/2; IGD = min = 1; d⁺: (1,1) − (1,2) = (0,−1) → 0, (4,4) − (1,2) = (3,2) → √13,
        // so GD⁺ = √13/2 and IGD⁺ = 0.
        let b: [[Double]] = [[1, 1], [4, 4]]
        let y: [[Double]] = [[1, 2]]
        let root13 = 13.0.squareRoot()
        XCTAssertEqual(try DistanceIndicators.generationalDistance(b, referenceFront: y), (1 + root13) / 2, accuracy: 1e-15)
        XCTAssertEqual(try DistanceIndicators.invertedGenerationalDistance(b, referenceFront: y), 1)
        XCTAssertEqual(try DistanceIndicators.generationalDistancePlus(b, referenceFront: y), root13 / 2, accuracy: 1e-15)
        XCTAssertEqual(try DistanceIndicators.invertedGenerationalDistancePlus(b, referenceFront: y), 0)

        // A = {(2,2)}, Z = {(1,3), (3,1)}: both Euclidean distances √2; d⁺ counts only the worse
        // objective: (1,−1) → 1 and (−1,1) → 1.
        let c: [[Double]] = [[2, 2]]
        let x: [[Double]] = [[1, 3], [3, 1]]
        XCTAssertEqual(try DistanceIndicators.generationalDistance(c, referenceFront: x), 2.0.squareRoot())
        XCTAssertEqual(try DistanceIndicators.invertedGenerationalDistance(c, referenceFront: x), 2.0.squareRoot())
        XCTAssertEqual(try DistanceIndicators.generationalDistancePlus(c, referenceFront: x), 1)
        XCTAssertEqual(try DistanceIndicators.invertedGenerationalDistancePlus(c, referenceFront: x), 1)
    }

    func testInvalidInputThrows() {
        XCTAssertThrowsError(try DistanceIndicators.generationalDistance([], referenceFront: [[1, 2]]))
        XCTAssertThrowsError(try DistanceIndicators.invertedGenerationalDistance([[1, 2]], referenceFront: []))
        XCTAssertThrowsError(try DistanceIndicators.generationalDistance([[1, 2]], referenceFront: [[1, 2, 3]]))
        XCTAssertThrowsError(try DistanceIndicators.generationalDistance([[1, .nan]], referenceFront: [[1, 2]]))
    }
}
