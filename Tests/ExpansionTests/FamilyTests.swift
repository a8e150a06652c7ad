import Expansion
import Foundation
import MultiObjective
import XCTest

/// Families: domains and their even coverings, the chain interpolation, curve sampling with
/// dominance, and the one front-file schema (round trip, absent keys, CSV columns, errors).
final class FamilyTests: XCTestCase {
    func testDomainsContainAndCoverTheirParameters() throws {
        XCTAssertTrue(FamilyDomain.chain.contains(.t(-1)))
        XCTAssertFalse(FamilyDomain.chain.contains(.t(1.0000001)))
        XCTAssertFalse(FamilyDomain.chain.contains(.preference([0.5, 0.5])))
        XCTAssertTrue(FamilyDomain.simplex(tasks: 2).contains(.preference([0.3, 0.7])))
        XCTAssertFalse(FamilyDomain.simplex(tasks: 2).contains(.preference([0.3, 0.8])))
        XCTAssertFalse(FamilyDomain.simplex(tasks: 2).contains(.preference([-0.1, 1.1])))
        XCTAssertEqual(try FamilyDomain.chain.evenlySpaced(count: 5).map(\.t), [-1, -0.5, 0, 0.5, 1])
        XCTAssertEqual(
            try FamilyDomain.simplex(tasks: 2).evenlySpaced(count: 3).compactMap(\.preference), [[0, 1], [0.5, 0.5], [1, 0]])
        // Three tasks: the lattice with h divisions has C(h + 2, 2) points: 10 for h = 3, 15 for
        // h = 4, so 12 asked gives h = 3.
        let lattice = try FamilyDomain.simplex(tasks: 3).evenlySpaced(count: 12).compactMap(\.preference)
        XCTAssertEqual(lattice.count, 10)
        XCTAssertEqual(Set(lattice.map { $0.map { Int(($0 * 3).rounded()) } }).count, 10)
        XCTAssertTrue(lattice.allSatisfy { FamilyDomain.simplex(tasks: 3).contains(.preference($0)) })
        XCTAssertThrowsError(try FamilyDomain.chain.evenlySpaced(count: 1))
    }

    /// `x(t)` on a three-node chain in the plane, against the interpolation written out by hand.
    func testTangentChainInterpolatesBetweenNeighbours() throws {
        let nodes = [[0.0, 0.0], [1.0, 0.0], [1.0, 3.0]]
        // Arc lengths 1 and 3: t = −1, −0.5, 1.
        let t = ChainInterpolation.arcLengthParameters(segmentLengths: [1, 3])
        XCTAssertEqual(t, [-1, -0.5, 1])
        // A non-finite or negative length counts as 0: still a valid parametrisation.
        XCTAssertEqual(ChainInterpolation.arcLengthParameters(segmentLengths: [.nan, 2, -1, 2]), [-1, -1, 0, 0, 1])
        XCTAssertNoThrow(try ChainInterpolation(t: ChainInterpolation.arcLengthParameters(segmentLengths: [.infinity, 1])))
        let chain = try TangentChain(
            nodes: zip([7, 8, 9], t).map { FamilyNode(id: $0, coordinate: .t($1), objectives: [0, 0]) },
            nodeParameters: { id in nodes[id - 7] })
        XCTAssertEqual(try chain.parameters(at: -1), [0, 0])
        XCTAssertEqual(try chain.parameters(at: -0.75), [0.5, 0])
        XCTAssertEqual(try chain.parameters(at: 0.25), [1, 1.5])
        XCTAssertEqual(try chain.parameters(at: 1), [1, 3])
        XCTAssertThrowsError(try chain.parameters(at: .t(1.5))) {
            XCTAssertEqual($0 as? ExpansionError, .invalidCoordinate(.t(1.5), domain: .chain))
        }
        XCTAssertThrowsError(try chain.parameters(at: .preference([0.5, 0.5])))
        XCTAssertThrowsError(try ChainInterpolation(t: [0.5, -0.5]), "t must not decrease")
    }

    /// Samples of `f(x) = (x², (x − 1)²)` along `x(t) = (t + 1)·1.5/2 − 0.25` (from −0.25 to
    /// 1.25): the samples with `x` outside `[0, 1]` are dominated (by the samples at 0 and 1).
    func testSampleCurveMarksDominatedSamples() throws {
        let chain = try TangentChain(
            nodes: [FamilyNode(id: 0, coordinate: .t(-1), objectives: []), FamilyNode(id: 1, coordinate: .t(1), objectives: [])],
            nodeParameters: { $0 == 0 ? [-0.25] : [1.25] })
        let samples = try chain.sampleCurve(count: 7) { x in SampleEvaluation(objectives: [x[0] * x[0], (x[0] - 1) * (x[0] - 1)]) }
        // x = −0.25, 0, 0.25, 0.5, 0.75, 1, 1.25.
        XCTAssertEqual(samples.map(\.dominated), [true, false, false, false, false, false, true])
        XCTAssertEqual(samples[3].objectives, [0.25, 0.25])
    }

    /// A network-shaped front file: keys that do not apply are absent (not null), it decodes to
    /// itself, and the CSV has the network columns.
    func testFrontFileOmitsKeysThatDoNotApplyAndRoundTrips() throws {
        let file = FrontFile(
            problem: "multimnist", architecture: "MultiLeNet", seed: 1, method: "tangent", reference: [2, 2], referenceRule: "given",
            hypervolume: 1, hypervolumeBefore: 0.5, hypervolumeAfter: 1, pointsHypervolume: 0.9,
            points: [
                FrontFile.Point(id: 0, t: 0, checkpoint: "points/0000.safetensors", objectives: [0.3, 0.4], trainLoss: [0.3, 0.4],
                                testLoss: [0.35, 0.45], testAccuracy: [0.9, 0.8], minresIterations: 0, optimizeIterations: 3, stationarity: 0.1),
                FrontFile.Point(id: 1, parent: 0, t: 1, checkpoint: "points/0001.safetensors", objectives: [0.4, 0.3], favours: 2),
            ],
            curve: [FrontFile.Sample(CurveSample(coordinate: .t(0), objectives: [0.35, 0.45], accuracy: [0.9, 0.8]))],
            evaluations: EvaluationCounts(objectives: 1, gradients: 2, hvps: 3), candidates: 1, rejected: 0)
        let json = try JSONSerialization.jsonObject(with: try file.encoded()) as! [String: Any]
        XCTAssertNil(json["timing"])
        let seed = (json["points"] as! [[String: Any]])[0]
        XCTAssertNil(seed["parent"])
        XCTAssertNil(seed["parameters"])
        XCTAssertNil(seed["favours"])
        XCTAssertFalse(String(decoding: try file.encoded(), as: UTF8.self).contains("null"))
        XCTAssertEqual(try JSONDecoder().decode(FrontFile.self, from: file.encoded()), file)
        let lines = file.csv().split(separator: "\n").map(String.init)
        XCTAssertEqual(lines[0], "id,parent,t,checkpoint,f1,f2,test_loss1,test_loss2,test_accuracy1,test_accuracy2")
        XCTAssertEqual(lines[2], "1,0,1.0,points/0001.safetensors,0.4,0.3,,,,")
    }

    func testReadingACorruptFrontFileNamesTheFileAndTheProblem() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("paretokit-front-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(at: directory) }
        let url = directory.appendingPathComponent("front.json")
        try Data(#"{"problem": "zdt2", "seed": 1}"#.utf8).write(to: url)
        XCTAssertThrowsError(try FrontFile.read(from: url)) { error in
            guard case .invalid(let path, let reason) = error as? FrontFileError else { return XCTFail("\(error)") }
            XCTAssertEqual(path, url.path)
            XCTAssertTrue(reason.contains("missing key"), reason)
        }
        try Data("{ not json".utf8).write(to: url)
        XCTAssertThrowsError(try FrontFile.read(from: url)) { XCTAssertTrue("\($0)".contains("front.json"), "\($0)") }
        XCTAssertThrowsError(try FrontFile.read(from: directory.appendingPathComponent("none.json"))) {
            XCTAssertEqual($0 as? FrontFileError, .unreadable(path: directory.appendingPathComponent("none.json").path))
        }
    }
}
