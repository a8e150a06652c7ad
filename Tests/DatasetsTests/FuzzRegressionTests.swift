import Datasets
import XCTest

/// Inputs found by the libFuzzer targets (Fuzz/, scripts/fuzz.sh), kept as regression tests.
final class FuzzRegressionTests: XCTestCase {
    /// fuzz-idx, crash-c41b84277fde98e19dc1ff3b6df833e19c94ecd1 (16 bytes): an IDX image file
    /// of 0 images of 0x9be9ffff × 0xfa651617 pixels. The payload check (count × rows × columns
    /// = 0) passed, then `DigitImages` trapped computing rows × columns (arithmetic overflow).
    func testZeroImagesOfAnOverflowingSizeAreRejected() {
        let file: [UInt8] = [0x00, 0x00, 0x08, 0x03, 0x00, 0x00, 0x00, 0x00, 0x9b, 0xe9, 0xff, 0xff, 0xfa, 0x65, 0x16, 0x17]
        XCTAssertThrowsError(try IDXFile.parseImages(file, name: "images.idx")) { error in
            XCTAssertEqual(
                error as? DatasetError,
                .invalidDimensions(path: "images.idx", dimensions: [0, 0x9be9_ffff, 0xfa65_1617], reason: "image size overflows"))
        }
        for (rows, columns) in [(Int.max, 2), (1 << 32, 1 << 31), (3_037_000_500, 3_037_000_500)] {
            XCTAssertThrowsError(try DigitImages(count: 0, rows: rows, columns: columns, pixels: [])) { error in
                XCTAssertTrue("\(error)".contains("overflows"), "\(error)")
            }
        }
        // The largest representable image size with no images is still accepted.
        XCTAssertEqual(try DigitImages(count: 0, rows: 3_037_000_499, columns: 3_037_000_499, pixels: []).count, 0)
    }
}
