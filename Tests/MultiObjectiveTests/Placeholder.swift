import XCTest
final class MultiObjectiveTestsPlaceholder: XCTestCase { func testBuilds() {} }
