import LinearAlgebra
import XCTest

final class SeededGeneratorTests: XCTestCase {
    /// Reference outputs of Vigna's splitmix64.c: seed 1234567 and seed 0 (the standard test vectors).
    func testSplitMix64ReferenceValues() {
        var generator = SplitMix64(state: 1_234_567)
        XCTAssertEqual(
            (0..<5).map { _ in generator.next() },
            [6_457_827_717_110_365_317, 3_203_168_211_198_807_973, 9_817_491_932_198_370_423, 4_593_380_528_125_082_431,
             16_408_922_859_458_223_821])
        var zero = SplitMix64(state: 0)
        XCTAssertEqual(zero.next(), 0xE220_A839_7B1D_CDAF)
    }

    /// Reference outputs of Blackman & Vigna's xoshiro256starstar.c from the state {1, 2, 3, 4}.
    func testXoshiroReferenceValues() throws {
        var generator = try SeededGenerator(xoshiroState: [1, 2, 3, 4])
        XCTAssertEqual(
            (0..<6).map { _ in generator.next() },
            [11520, 0, 1_509_978_240, 1_215_971_899_390_074_240, 1_216_172_134_540_287_360, 607_988_272_756_665_600])
        XCTAssertThrowsError(try SeededGenerator(xoshiroState: [0, 0, 0, 0]))
        XCTAssertThrowsError(try SeededGenerator(xoshiroState: [1, 2]))
    }

    func testSeedsAndStreams() {
        var a = SeededGenerator(seed: 42), b = SeededGenerator(seed: 42)
        var c = SeededGenerator(seed: 43), d = SeededGenerator(seed: 42, stream: 1)
        let sa = (0..<8).map { _ in a.next() }
        XCTAssertEqual(sa, (0..<8).map { _ in b.next() })
        XCTAssertNotEqual(sa, (0..<8).map { _ in c.next() })
        XCTAssertNotEqual(sa, (0..<8).map { _ in d.next() })
    }

    func testUniformIntIsUniformAndInRange() throws {
        var generator = SeededGenerator(seed: 7)
        var counts = [Int](repeating: 0, count: 7)
        let draws = 70_000
        for _ in 0..<draws { counts[try generator.uniformInt(below: 7)] += 1 }
        // Each count is Binomial(70000, 1/7): mean 10000, sd ≈ 92.6; 5 sd bounds.
        for count in counts { XCTAssertEqual(Double(count), 10_000, accuracy: 463) }
        XCTAssertThrowsError(try generator.uniformInt(below: 0))
        XCTAssertEqual(try generator.uniformInt(below: 1), 0)
    }

    func testPermutationIsAPermutationAndUnbiased() throws {
        var generator = SeededGenerator(seed: 1)
        XCTAssertEqual(try generator.permutation(count: 0), [])
        XCTAssertThrowsError(try generator.permutation(count: -1))
        XCTAssertEqual(try generator.permutation(count: 1000).sorted(), Array(0..<1000))
        // All 6 permutations of 3 items equally likely: 60000 draws, each count ≈ 10000 (sd ≈ 91).
        var counts: [[Int]: Int] = [:]
        for _ in 0..<60_000 { counts[try generator.permutation(count: 3), default: 0] += 1 }
        XCTAssertEqual(counts.count, 6)
        for count in counts.values { XCTAssertEqual(Double(count), 10_000, accuracy: 460) }
    }

    func testUnitDoubleAndGaussianMoments() {
        var generator = SeededGenerator(seed: 99)
        let n = 100_000
        let uniforms = (0..<n).map { _ in generator.unitDouble() }
        XCTAssertTrue(uniforms.allSatisfy { $0 >= 0 && $0 < 1 })
        // Mean 1/2 with sd 1/√(12n) ≈ 0.0009; variance 1/12.
        let mean = uniforms.reduce(0, +) / Double(n)
        XCTAssertEqual(mean, 0.5, accuracy: 0.005)
        XCTAssertEqual(uniforms.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(n), 1.0 / 12, accuracy: 0.002)
        let normals = (0..<n).map { _ in generator.gaussian() }
        let normalMean = normals.reduce(0, +) / Double(n)
        XCTAssertEqual(normalMean, 0, accuracy: 0.016)
        XCTAssertEqual(normals.map { $0 * $0 }.reduce(0, +) / Double(n), 1, accuracy: 0.03)
        // P(|Z| < 1) = 0.6827.
        XCTAssertEqual(Double(normals.filter { abs($0) < 1 }.count) / Double(n), 0.6827, accuracy: 0.01)
    }

    /// The standard library's random APIs driven by the generator: equal seeds shuffle alike
    /// (and shuffling is a permutation), and `Int.random(in:using:)` is uniform (each of 10
    /// values drawn 5,000 ± 5 sd times in 50,000 draws; sd = √(50000 · 0.1 · 0.9) ≈ 67).
    func testDrivesTheStandardLibrary() {
        var a = SeededGenerator(seed: 5), b = SeededGenerator(seed: 5)
        let shuffled = Array(0..<100).shuffled(using: &a)
        XCTAssertEqual(shuffled, Array(0..<100).shuffled(using: &b))
        XCTAssertNotEqual(shuffled, Array(0..<100))
        XCTAssertEqual(shuffled.sorted(), Array(0..<100))
        var counts = [Int](repeating: 0, count: 10)
        for _ in 0..<50_000 { counts[Int.random(in: 10..<20, using: &a) - 10] += 1 }
        for count in counts { XCTAssertEqual(Double(count), 5_000, accuracy: 335) }
    }
}
