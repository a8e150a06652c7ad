import XCTest
final class SafetensorsTestsPlaceholder: XCTestCase { func testBuilds() {} }
