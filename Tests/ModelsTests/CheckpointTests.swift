import Foundation
import LinearAlgebra
import Models
import Safetensors
import XCTest

/// The reference MultiLeNet `state_dict`, written out independently of `MultiLeNet.parameterLayout`.
private let referenceTensors: [(name: String, shape: [Int])] = [
    ("conv1.weight", [10, 1, 5, 5]), ("conv1.bias", [10]), ("conv2.weight", [20, 10, 5, 5]), ("conv2.bias", [20]),
    ("fc1.weight", [50, 320]), ("fc1.bias", [50]), ("fc3_1.weight", [10, 50]), ("fc3_1.bias", [10]),
    ("fc3_2.weight", [10, 50]), ("fc3_2.bias", [10]),
]

/// A value for element `index` of tensor number `tensor`: deterministic, of both signs, and
/// not exactly representable in fewer bits (so a wrong byte order or offset would show).
private func referenceValue(tensor: Int, index: Int) -> Double {
    Foundation.sin(Double(tensor * 100_003 + index) * 0.7071) * 0.3
}

private func littleEndianBytes<Word: FixedWidthInteger>(_ word: Word) -> [UInt8] {
    (0..<(Word.bitWidth / 8)).map { UInt8(truncatingIfNeeded: word >> ($0 * 8)) }
}

/// One tensor of a hand-built file.
private struct HandTensor {
    var name: String
    var dtype: String
    var shape: [Int]
    var values: [Double]
}

/// Builds a safetensors file byte by byte from the format description (huggingface/safetensors
/// README, "Format"), without the package's writer: 8-byte little-endian header length, the JSON
/// header (optional `__metadata__`, then each tensor with dtype, shape and data offsets in the
/// order given), padded with spaces to a multiple of 8, then each tensor's little-endian bytes in
/// the same order.
private func handBuiltFile(_ tensors: [HandTensor], metadataJSON: String?) -> [UInt8] {
    var entries: [String] = []
    if let metadataJSON { entries.append("\"__metadata__\":\(metadataJSON)") }
    var data: [UInt8] = []
    for tensor in tensors {
        let begin = data.count
        for value in tensor.values {
            switch tensor.dtype {
            case "F32": data += littleEndianBytes(Float(value).bitPattern)
            case "F64": data += littleEndianBytes(value.bitPattern)
            case "I32": data += littleEndianBytes(UInt32(bitPattern: Int32(value)))
            default: fatalError("test helper: dtype \(tensor.dtype)")
            }
        }
        let shape = tensor.shape.map(String.init).joined(separator: ",")
        entries.append("\"\(tensor.name)\":{\"dtype\":\"\(tensor.dtype)\",\"shape\":[\(shape)],\"data_offsets\":[\(begin),\(data.count)]}")
    }
    var header = Array(("{" + entries.joined(separator: ",") + "}").utf8)
    while header.count % 8 != 0 { header.append(UInt8(ascii: " ")) }
    return littleEndianBytes(UInt64(header.count)) + header + data
}

/// The reference tensors with generated values, in PyTorch `save_file`'s layout order
/// (sorted by name for a single dtype).
private func referenceHandTensors(dtype: String) -> [HandTensor] {
    referenceTensors.enumerated().map { number, tensor in
        let count = tensor.shape.reduce(1, *)
        var values = (0..<count).map { referenceValue(tensor: number, index: $0) }
        if dtype == "F32" { values = values.map { Double(Float($0)) } }
        return HandTensor(name: tensor.name, dtype: dtype, shape: tensor.shape, values: values)
    }.sorted { $0.name < $1.name }
}

/// The flat vector the reference tensors should load to: the state_dict order, concatenated.
private func expectedFlat(dtype: String) -> [Double] {
    let byName = Dictionary(uniqueKeysWithValues: referenceHandTensors(dtype: dtype).map { ($0.name, $0.values) })
    return referenceTensors.flatMap { byName[$0.name]! }
}

final class CheckpointTests: XCTestCase {
    private func temporaryURL() -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-checkpoint-\(UUID().uuidString).safetensors")
        addTeardownBlock { try? FileManager.default.removeItem(at: url) }
        return url
    }

    private func load(_ bytes: [UInt8]) throws -> Checkpoint {
        let url = temporaryURL()
        try Data(bytes).write(to: url)
        do {
            return try Checkpoint.load(from: url, model: MultiLeNet())
        } catch let error as CheckpointError {
            // Every error of a load names the file.
            XCTAssertTrue(error.description.contains(url.path), "'\(error)' does not name \(url.path)")
            throw error.underlying
        }
    }

    private func assertRejects(_ bytes: [UInt8], mentioning phrases: [String], file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertThrowsError(try load(bytes), file: file, line: line) { error in
            XCTAssertTrue(error is CheckpointError, "\(error)", file: file, line: line)
            for phrase in phrases {
                XCTAssertTrue("\(error)".contains(phrase), "'\(error)' should mention \(phrase)", file: file, line: line)
            }
        }
    }

    /// A PyTorch-style file built by hand (F32 with `{"format":"pt"}`, F64 with no metadata)
    /// loads unchanged: every value bit-exact, in the reference layout order.
    func testHandBuiltPyTorchFileLoads() throws {
        for (dtype, metadata) in [("F32", "{\"format\":\"pt\"}"), ("F64", nil)] {
            let checkpoint = try load(handBuiltFile(referenceHandTensors(dtype: dtype), metadataJSON: metadata))
            let expected = expectedFlat(dtype: dtype)
            XCTAssertEqual(checkpoint.parameters.count, 22_350)
            XCTAssertEqual(checkpoint.parameters.map(\.bitPattern), expected.map(\.bitPattern), dtype)
            XCTAssertEqual(checkpoint.precision, dtype == "F32" ? .float32 : .float64)
            XCTAssertEqual(checkpoint.metadata.format, metadata == nil ? nil : "pt")
            XCTAssertNil(checkpoint.metadata.architecture)
            XCTAssertNil(checkpoint.metadata.seed)
            XCTAssertEqual(checkpoint.metadata.other, [:])
            // fc1.weight [50, 320] element (row 3, column 7) is PyTorch's W[3][7].
            let fc1 = try MultiLeNet.parameterLayout.entry("fc1.weight")
            let stored = referenceValue(tensor: 4, index: 3 * 320 + 7)
            XCTAssertEqual(checkpoint.parameters[fc1.offset + 3 * 320 + 7], dtype == "F32" ? Double(Float(stored)) : stored)
        }
    }

    /// Write → read is bit-exact in both precisions, including −0, subnormals and extreme
    /// finite values, and metadata survives; writing twice gives identical bytes.
    func testRoundTripIsBitExact() throws {
        let model = MultiLeNet()
        var floats = (0..<22_350).map { Float(referenceValue(tensor: 0, index: $0)) }
        floats[0] = -0.0
        floats[1] = Float.leastNonzeroMagnitude
        floats[2] = -Float.greatestFiniteMagnitude
        floats[3] = Float(bitPattern: 0x0000_1234)
        let metadata = CheckpointMetadata(
            architecture: "MultiLeNet", tasks: ["left digit", "right digit"], method: "ls", weights: [0.25, 0.75],
            seed: UInt64.max, metrics: CheckpointMetrics(testLoss: [0.5, 0.625], testAccuracy: [0.875, 0.75], testImages: 8),
            other: ["note": "a \"quoted\" value"])
        let url = temporaryURL()
        try Checkpoint(model: model, parameters: floats, metadata: metadata).write(to: url)
        let loaded = try Checkpoint.load(from: url, model: model)
        XCTAssertEqual(loaded.parameters(as: Float.self).map(\.bitPattern), floats.map(\.bitPattern))
        XCTAssertEqual(loaded.precision, .float32)
        XCTAssertEqual(loaded.metadata, metadata)
        let bytes = try Data(contentsOf: url)
        try loaded.write(to: url)
        XCTAssertEqual(try Data(contentsOf: url), bytes)

        var doubles = (0..<22_350).map { referenceValue(tensor: 1, index: $0) }
        doubles[5] = Double.leastNonzeroMagnitude
        doubles[6] = -0.0
        doubles[7] = .greatestFiniteMagnitude
        try Checkpoint(model: model, parameters: doubles).write(to: url)
        let loadedDoubles = try Checkpoint.load(from: url, model: model)
        XCTAssertEqual(loadedDoubles.parameters(as: Double.self).map(\.bitPattern), doubles.map(\.bitPattern))
        XCTAssertEqual(loadedDoubles.precision, .float64)
        XCTAssertEqual(loadedDoubles.metadata, CheckpointMetadata())
    }

    func testCorruptHeaderIsRejected() throws {
        var bytes = handBuiltFile(referenceHandTensors(dtype: "F32"), metadataJSON: nil)
        bytes[20] = UInt8(ascii: "}")
        assertRejects(bytes, mentioning: ["JSON"])
        var tooLong = handBuiltFile(referenceHandTensors(dtype: "F32"), metadataJSON: nil)
        tooLong[6] = 1
        assertRejects(tooLong, mentioning: ["header length"])
    }

    func testTruncatedDataIsRejected() {
        let bytes = handBuiltFile(referenceHandTensors(dtype: "F32"), metadataJSON: "{\"format\":\"pt\"}")
        assertRejects(Array(bytes.dropLast(7)), mentioning: ["truncated", "fc3_2.weight"])
    }

    func testWrongShapeIsRejected() {
        var tensors = referenceHandTensors(dtype: "F32")
        let index = tensors.firstIndex { $0.name == "fc1.weight" }!
        tensors[index].shape = [320, 50]
        assertRejects(handBuiltFile(tensors, metadataJSON: nil), mentioning: ["fc1.weight", "[320, 50]", "[50, 320]"])
        XCTAssertThrowsError(try load(handBuiltFile(tensors, metadataJSON: nil))) {
            XCTAssertEqual(
                $0 as? CheckpointError,
                .layoutMismatch(
                    architecture: "MultiLeNet", missing: [], unexpected: [],
                    shapes: [CheckpointError.ShapeMismatch(tensor: "fc1.weight", expected: [50, 320], actual: [320, 50])]))
        }
    }

    func testMissingAndUnexpectedTensorsAreNamed() {
        var tensors = referenceHandTensors(dtype: "F32").filter { $0.name != "fc3_2.bias" && $0.name != "conv1.weight" }
        assertRejects(handBuiltFile(tensors, metadataJSON: nil), mentioning: ["missing", "conv1.weight", "fc3_2.bias"])
        tensors = referenceHandTensors(dtype: "F32")
        tensors.append(HandTensor(name: "fc3_3.bias", dtype: "F32", shape: [10], values: [Double](repeating: 0, count: 10)))
        assertRejects(handBuiltFile(tensors, metadataJSON: nil), mentioning: ["unexpected", "fc3_3.bias"])
    }

    func testBadValuesAndDTypesAreRejected() {
        var tensors = referenceHandTensors(dtype: "F32")
        let bias = tensors.firstIndex { $0.name == "conv2.bias" }!
        tensors[bias].values[3] = .nan
        XCTAssertThrowsError(try load(handBuiltFile(tensors, metadataJSON: nil))) {
            XCTAssertEqual($0 as? CheckpointError, .nonFiniteParameter(tensor: "conv2.bias", index: 3))
        }
        tensors = referenceHandTensors(dtype: "F32")
        tensors[bias].dtype = "F64"
        assertRejects(handBuiltFile(tensors, metadataJSON: nil), mentioning: ["mix", "conv2.bias: F64", "conv1.bias: F32"])
        tensors = referenceHandTensors(dtype: "F32")
        tensors[bias] = HandTensor(name: "conv2.bias", dtype: "I32", shape: [20], values: [Double](repeating: 1, count: 20))
        assertRejects(handBuiltFile(tensors, metadataJSON: nil), mentioning: ["conv2.bias", "I32"])
    }

    func testMetadataIsValidated() {
        let tensors = referenceHandTensors(dtype: "F64")
        assertRejects(handBuiltFile(tensors, metadataJSON: "{\"architecture\":\"ResNet18\"}"), mentioning: ["ResNet18", "MultiLeNet"])
        assertRejects(handBuiltFile(tensors, metadataJSON: "{\"weights\":\"[0.5,\"}"), mentioning: ["weights"])
        assertRejects(handBuiltFile(tensors, metadataJSON: "{\"weights\":\"[0.2,0.3,0.5]\"}"), mentioning: ["weights", "3"])
        assertRejects(handBuiltFile(tensors, metadataJSON: "{\"seed\":\"-1\"}"), mentioning: ["seed"])
        assertRejects(handBuiltFile(tensors, metadataJSON: "{\"tasks\":\"[\\\"a\\\"]\"}"), mentioning: ["1 tasks"])
        assertRejects(handBuiltFile(tensors, metadataJSON: "{\"metrics\":\"{\\\"test_loss\\\":\\\"x\\\"}\"}"), mentioning: ["metrics"])
    }

    func testConstructionChecksParameters() {
        XCTAssertThrowsError(try Checkpoint(model: MultiLeNet(), parameters: [Float](repeating: 0, count: 10))) {
            XCTAssertEqual($0 as? CheckpointError, .parameterCount(expected: 22_350, actual: 10))
        }
        var values = [Double](repeating: 0, count: 22_350)
        values[22_349] = .infinity
        XCTAssertThrowsError(try Checkpoint(model: MultiLeNet(), parameters: values)) {
            XCTAssertEqual($0 as? CheckpointError, .nonFiniteParameter(tensor: "fc3_2.bias", index: 9))
        }
        values[22_349] = 0.1
        XCTAssertThrowsError(try Checkpoint(layout: MultiLeNet.parameterLayout, parameters: values, precision: .float32)) {
            XCTAssertEqual($0 as? CheckpointError, .notRepresentableInFloat32(tensor: "fc3_2.bias", index: 9))
        }
    }
}
