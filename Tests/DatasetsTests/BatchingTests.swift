import Datasets
import LinearAlgebra
import XCTest

final class BatchingTests: XCTestCase {
    func testEachEpochIsAPermutationInBatches() throws {
        for (count, size) in [(103, 10), (100, 10), (5, 8), (0, 4)] {
            let schedule = try batches(count: count, size: size, seed: 17, epoch: 2)
            let groups = Array(schedule)
            XCTAssertEqual(groups.count, (count + size - 1) / size)
            XCTAssertTrue(groups.dropLast().allSatisfy { $0.count == size })
            XCTAssertEqual(groups.flatMap { $0 }.sorted(), Array(0..<count))
        }
    }

    func testDropLast() throws {
        let groups = Array(try batches(count: 103, size: 10, seed: 17, epoch: 0, dropLast: true))
        XCTAssertEqual(groups.count, 10)
        XCTAssertTrue(groups.allSatisfy { $0.count == 10 })
        XCTAssertEqual(Set(groups.flatMap { $0 }).count, 100)
    }

    func testDeterministicAndEpochsDiffer() throws {
        let first = Array(try batches(count: 500, size: 32, seed: 3, epoch: 0)).map(Array.init)
        XCTAssertEqual(first, Array(try batches(count: 500, size: 32, seed: 3, epoch: 0)).map(Array.init))
        XCTAssertNotEqual(first, Array(try batches(count: 500, size: 32, seed: 3, epoch: 1)).map(Array.init))
        XCTAssertNotEqual(first, Array(try batches(count: 500, size: 32, seed: 4, epoch: 0)).map(Array.init))
        // Shuffled: not the identity order.
        XCTAssertNotEqual(first.flatMap { $0 }, Array(0..<500))
    }

    func testInvalidArguments() {
        XCTAssertThrowsError(try batches(count: 10, size: 0, seed: 0, epoch: 0))
        XCTAssertThrowsError(try batches(count: -1, size: 2, seed: 0, epoch: 0))
        XCTAssertThrowsError(try batches(count: 10, size: 2, seed: 0, epoch: -1))
    }

    func testGatheredBatchesInFloatAndDouble() throws {
        let digits = try SyntheticDigits.make(count: 50, seed: 21)
        let dataset = try MultiDigitDataset(digits: digits, seed: 8, side: 14)
        let schedule = try batches(count: dataset.count, size: 16, seed: 2, epoch: 1)
        let floatBatches = Array(try dataset.batches(size: 16, seed: 2, epoch: 1, as: Float.self))
        let doubleBatches = Array(try dataset.batches(size: 16, seed: 2, epoch: 1, as: Double.self))
        XCTAssertEqual(floatBatches.count, 4)
        XCTAssertEqual(Array(try batches(of: dataset, size: 16, seed: 2, epoch: 1, as: Double.self)).map(\.indices), doubleBatches.map(\.indices))
        for ((indices, floats), doubles) in zip(zip(schedule, floatBatches), doubleBatches) {
            XCTAssertEqual(floats.indices, Array(indices))
            XCTAssertEqual(floats.images.shape, [indices.count, 1, 14, 14])
            XCTAssertEqual(doubles.images.shape, floats.images.shape)
            XCTAssertEqual(floats.labels, [indices.map { dataset.leftLabels[$0] }, indices.map { dataset.rightLabels[$0] }])
            XCTAssertEqual(doubles.labels, floats.labels)
            for (row, index) in indices.enumerated() {
                let expected = Array(dataset.image(at: index))
                XCTAssertEqual(Array(floats.images.scalars[row * 196..<(row + 1) * 196]), expected)
                XCTAssertEqual(Array(doubles.images.scalars[row * 196..<(row + 1) * 196]), expected.map(Double.init))
            }
        }
        XCTAssertThrowsError(try dataset.batch([0, dataset.count], as: Double.self))
    }
}
