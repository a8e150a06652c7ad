import Plotting
import XCTest

final class TicksTests: XCTestCase {
    func testUnitIntervalGivesStepsOfTwoTenths() {
        // At most 7 ticks: step 0.1 would give 11, 0.2 gives 6.
        let ticks = Ticks.linear(in: 0...1)
        XCTAssertEqual(ticks.map(\.value), [0, 0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(ticks.map(\.label), ["0", "0.2", "0.4", "0.6", "0.8", "1.0"])
    }

    func testOneTwoFiveSteps() {
        // Smallest 1-2-5 step with ≤ 7 ticks: [0, 100]: 10 → 11 ticks, 20 → 6.
        XCTAssertEqual(Ticks.linear(in: 0...100).map(\.value), [0, 20, 40, 60, 80, 100])
        // [−3, 4]: 1 → 8 ticks, 2 → −2, 0, 2, 4.
        XCTAssertEqual(Ticks.linear(in: -3...4).map(\.value), [-2, 0, 2, 4])
        // [0.101, 0.131]: 0.001 → 31, 0.002 → 15, 0.005 → 0.105 … 0.13 (6).
        XCTAssertEqual(Ticks.linear(in: 0.101...0.131).map(\.value), [0.105, 0.11, 0.115, 0.12, 0.125, 0.13])
        // [−1.2, 1.3]: 0.2 → 13, 0.5 → 5.
        XCTAssertEqual(Ticks.linear(in: -1.2...1.3).map(\.value), [-1, -0.5, 0, 0.5, 1])
        // [0.06, 1.14] (a padded [0.1, 1.1]): 0.1 → 11, 0.2 → 0.2 … 1.0 (5).
        XCTAssertEqual(Ticks.linear(in: 0.06...1.14).map(\.value), [0.2, 0.4, 0.6, 0.8, 1])
        XCTAssertEqual(Ticks.niceStep(range: 0...30, maxTicks: 7).mantissa, 5)
        XCTAssertEqual(Ticks.niceStep(range: 0...30, maxTicks: 7).exponent, 0)
    }

    func testNegativeLabelsUseAMinusSignAndNoNegativeZero() {
        let labels = Ticks.linear(in: -1.2...1.3).map(\.label)
        XCTAssertEqual(labels, ["\u{2212}1.0", "\u{2212}0.5", "0", "0.5", "1.0"])
    }

    func testIntegerTicksAreWholeNumbers() {
        // [−0.1, 3.1]: step 0.5 gives 7 ticks; counts take steps ≥ 1 → 0, 1, 2, 3.
        XCTAssertEqual(Ticks.linear(in: -0.1...3.1).map(\.value), [0, 0.5, 1, 1.5, 2, 2.5, 3])
        XCTAssertEqual(Ticks.linear(in: -0.1...3.1, integer: true).map(\.value), [0, 1, 2, 3])
        XCTAssertEqual(Ticks.linear(in: -0.1...3.1, integer: true).map(\.label), ["0", "1", "2", "3"])
    }

    func testLogTicksAreDecades() {
        let ticks = Ticks.logarithmic(in: 1e-3...10)
        XCTAssertEqual(ticks.map(\.value), [0.001, 0.01, 0.1, 1, 10])
        XCTAssertEqual(ticks.map(\.exponent), [-3, -2, -1, 0, 1])
    }

    func testManyDecadesAreThinned() {
        // 1e-12 … 1e0: 13 decades > 8 → every ⌈13/6⌉ = 3rd decade.
        XCTAssertEqual(Ticks.logarithmic(in: 1e-12...1).compactMap(\.exponent), [-12, -9, -6, -3, 0])
    }

    func testLessThanADecadeFallsBackToOneTwoFive() {
        // [1.5, 12]: decades inside: only 10 → mantissas 2, 5, 10.
        XCTAssertEqual(Ticks.logarithmic(in: 1.5...12).map(\.value), [2, 5, 10])
        // [0.25, 1]: 1-2-5 gives only 0.5 and 1 → multiples 1…9 of 10⁻¹: 0.3, 0.4, …, 0.9, 1.
        XCTAssertEqual(Ticks.logarithmic(in: 0.25...1).map(\.value), [0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9, 1])
    }
}
