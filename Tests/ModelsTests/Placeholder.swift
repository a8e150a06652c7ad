import XCTest
final class ModelsTestsPlaceholder: XCTestCase { func testBuilds() {} }
