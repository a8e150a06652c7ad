import LinearAlgebra
import XCTest

/// FNV-1a 64 against the published test vectors (Fowler, Noll & Vo; draft-eastlake-fnv):
/// the empty input gives the offset basis, "a" 0xaf63dc4c8601ec8c, "foobar" 0x85944171f73967e8.
final class ContentDigestTests: XCTestCase {
    private func digest(_ text: String) -> UInt64 {
        var digest = ContentDigest()
        for byte in text.utf8 { digest.combine(byte) }
        return digest.value
    }

    func testPublishedVectors() {
        XCTAssertEqual(digest(""), 0xCBF2_9CE4_8422_2325)
        XCTAssertEqual(digest("a"), 0xAF63_DC4C_8601_EC8C)
        XCTAssertEqual(digest("foobar"), 0x8594_4171_F739_67E8)
    }

    /// Words feed their bytes least significant first; bit patterns, so −0 ≠ +0.
    func testWordsAndBitPatterns() {
        var word = ContentDigest()
        word.combine(UInt16(0x6261))  // "ab" little-endian
        XCTAssertEqual(word.value, digest("ab"))
        XCTAssertNotEqual(ContentDigest.of([0.0]), ContentDigest.of([-0.0]))
        XCTAssertEqual(ContentDigest.of([1, 2]).count, 16)
    }
}
