import LinearAlgebra
import PaLoRA
import XCTest

/// Schedules against values computed by hand (a calculator: p⁵/(p⁵+(1−p)⁵) and
/// p^0.2/(p^0.2+(1−p)^0.2) for p = 0.01, 0.255, 0.5, 0.745, 0.99), and the Dirichlet
/// schedule's sample moments against the distribution's mean and variance.
final class PreferenceScheduleTests: XCTestCase {
    private func assertRays(_ actual: [[Double]], _ expected: [[Double]], accuracy: Double = 1e-12, _ message: String = "") {
        XCTAssertEqual(actual.count, expected.count, message)
        for (a, e) in zip(actual, expected) {
            XCTAssertEqual(a.count, e.count, message)
            for (x, y) in zip(a, e) { XCTAssertEqual(x, y, accuracy: accuracy, message) }
        }
    }

    func testBaseRays() throws {
        assertRays(try EvenRays(count: 5).rays(), [[0.01, 0.99], [0.255, 0.745], [0.5, 0.5], [0.745, 0.255], [0.99, 0.01]])
        assertRays(try EvenRays(count: 3, epsilon: 0).rays(), [[0, 1], [0.5, 0.5], [1, 0]])
        assertRays(try EvenRays(count: 1).rays(), [[0.01, 0.99]])
        // 3 tasks, H = 2: the six lattice points k/2.
        assertRays(
            try EvenRays(count: 6, taskCount: 3, epsilon: 0).rays(),
            [[1, 0, 0], [0.5, 0.5, 0], [0.5, 0, 0.5], [0, 1, 0], [0, 0.5, 0.5], [0, 0, 1]])
        // ε = 0.1: 0.1 + 0.7·k/2.
        assertRays(try EvenRays(count: 3, taskCount: 3, epsilon: 0.1).rays(), [[0.8, 0.1, 0.1], [0.1, 0.8, 0.1], [0.1, 0.1, 0.8]])
        XCTAssertThrowsError(try EvenRays(count: 5, taskCount: 3).rays())
        XCTAssertThrowsError(try EvenRays(count: 0).rays())
        XCTAssertThrowsError(try EvenRays(count: 3, epsilon: 0.5).rays())
    }

    func testAnnealingAtStartAndEndForBothConventions() throws {
        let base = EvenRays(count: 5)
        for convention in [AnnealingConvention.publicCode, .paper] {
            let schedule = AnnealedRays(base: base, temperature: 5, convention: convention)
            assertRays(try schedule.rays(progress: 0), [[Double]](repeating: [0.5, 0.5], count: 5), "\(convention) τ = 0")
        }
        let publicEnd = [1.0515357127027777e-10, 0.0046761019386634935, 0.5, 0.9953238980613366, 0.9999999998948464]
        assertRays(try AnnealedRays(base: base).rays(progress: 1), publicEnd.map { [$0, 1 - $0] }, "public code τ = 1")
        let paperEnd = [0.2851568088674799, 0.44659841659525923, 0.5, 0.5534015834047407, 0.7148431911325202]
        assertRays(try AnnealedRays(base: base, convention: .paper).rays(progress: 1), paperEnd.map { [$0, 1 - $0] }, "paper τ = 1")
        // Midway, public code: exponent 2.5.
        let publicHalf = [1.0254336386729653e-05, 0.06414576366278256, 0.5, 0.9358542363372174, 0.9999897456636133]
        assertRays(try AnnealedRays(base: base).rays(progress: 0.5), publicHalf.map { [$0, 1 - $0] }, "public code τ = 0.5")
        // Without annealing: the τ = 1 rays from the first step.
        assertRays(try AnnealedRays(base: base, isAnnealed: false).rays(progress: 0), publicEnd.map { [$0, 1 - $0] })
        // Endpoint rays stay on the faces.
        assertRays(try AnnealedRays(base: EvenRays(count: 2, epsilon: 0)).rays(progress: 1), [[0, 1], [1, 0]])
        XCTAssertThrowsError(try AnnealedRays(base: base).rays(progress: 1.5))
        XCTAssertThrowsError(try AnnealedRays(base: base, temperature: 0).rays(progress: 0.5))
    }

    func testScheduleEnumDispatch() throws {
        var generator = SeededGenerator(seed: 1)
        let schedule = PreferenceSchedule.publicDefault(rays: 5)
        XCTAssertEqual(schedule.rayCount, 5)
        assertRays(try schedule.rays(progress: 0, using: &generator), [[Double]](repeating: [0.5, 0.5], count: 5))
        assertRays(try PreferenceSchedule.deterministic(EvenRays(count: 3, epsilon: 0)).rays(progress: 0.7, using: &generator),
                   [[0, 1], [0.5, 0.5], [1, 0]])
        let data = try JSONEncoder().encode(schedule)
        XCTAssertEqual(try JSONDecoder().decode(PreferenceSchedule.self, from: data), schedule)
    }

    /// Dir(p·1) on T tasks: mean 1/T, variance (1/T)(1 − 1/T)/(T p + 1); sample means within
    /// 4 standard errors, sample variances within 10 %.
    func testDirichletSampleMoments() throws {
        for (tasks, concentration, rays) in [(2, 1.0, 1), (2, 1.0, 5), (3, 0.5, 5), (2, 4.0, 3)] {
            let schedule = DirichletRays(count: rays, taskCount: tasks, concentration: concentration)
            var generator = SeededGenerator(seed: 11)
            var draws: [[Double]] = []
            for _ in 0..<(20_000 / rays) { draws += try schedule.rays(using: &generator) }
            XCTAssertTrue(draws.allSatisfy { abs($0.reduce(0, +) - 1) < 1e-12 && $0.allSatisfy { $0 >= 0 } })
            let mean = 1 / Double(tasks)
            let variance = mean * (1 - mean) / (Double(tasks) * concentration + 1)
            for t in 0..<tasks {
                let values = draws.map { $0[t] }
                let sampleMean = values.reduce(0, +) / Double(values.count)
                let sampleVariance = values.reduce(0) { $0 + ($1 - sampleMean) * ($1 - sampleMean) } / Double(values.count - 1)
                XCTAssertEqual(sampleMean, mean, accuracy: 4 * (variance / Double(values.count)).squareRoot(), "T \(tasks), p \(concentration)")
                XCTAssertEqual(sampleVariance, variance, accuracy: 0.1 * variance, "T \(tasks), p \(concentration)")
            }
        }
        var generator = SeededGenerator(seed: 1)
        XCTAssertThrowsError(try DirichletRays(count: 2, concentration: 0).rays(using: &generator))
    }
}
