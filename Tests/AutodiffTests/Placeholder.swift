import XCTest
final class AutodiffTestsPlaceholder: XCTestCase { func testBuilds() {} }
