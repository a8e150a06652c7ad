import XCTest
final class ExpansionTestsPlaceholder: XCTestCase { func testBuilds() {} }
