import XCTest
final class KrylovTestsPlaceholder: XCTestCase { func testBuilds() {} }
