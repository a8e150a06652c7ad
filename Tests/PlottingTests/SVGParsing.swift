import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import XCTest

/// An element read back from rendered SVG.
struct ParsedElement {
    let name: String
    let attributes: [String: String]
    var text: String
}

/// Parses `svg` with Foundation's XMLParser, failing the test on any XML error; returns the
/// elements in document order.
func parseSVG(_ svg: String, file: StaticString = #filePath, line: UInt = #line) -> [ParsedElement] {
    final class Collector: NSObject, XMLParserDelegate {
        var elements: [ParsedElement] = []
        var stack: [Int] = []
        var error: Error?
        func parser(_ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?,
                    qualifiedName qName: String?, attributes attributeDict: [String: String] = [:]) {
            stack.append(elements.count)
            elements.append(ParsedElement(name: elementName, attributes: attributeDict, text: ""))
        }
        func parser(_ parser: XMLParser, didEndElement elementName: String, namespaceURI: String?, qualifiedName qName: String?) {
            stack.removeLast()
        }
        func parser(_ parser: XMLParser, foundCharacters string: String) {
            if let index = stack.last { elements[index].text += string }
            // Superscripts (tspan) belong to the enclosing text's label as well.
            if stack.count >= 2, elements[stack[stack.count - 1]].name == "tspan" { elements[stack[stack.count - 2]].text += string }
        }
        func parser(_ parser: XMLParser, parseErrorOccurred parseError: Error) { error = parseError }
    }
    let collector = Collector()
    let parser = XMLParser(data: Data(svg.utf8))
    parser.delegate = collector
    let ok = parser.parse()
    XCTAssertTrue(ok, "SVG is not well-formed XML: \(String(describing: collector.error ?? parser.parserError))", file: file, line: line)
    return collector.elements
}

extension Array where Element == ParsedElement {
    func named(_ name: String) -> [ParsedElement] { filter { $0.name == name } }
    func withClass(_ cls: String) -> [ParsedElement] { filter { ($0.attributes["class"] ?? "").split(separator: " ").contains(Substring(cls)) } }
}

extension ParsedElement {
    func number(_ key: String, file: StaticString = #filePath, line: UInt = #line) -> Double {
        guard let text = attributes[key], let value = Double(text) else {
            XCTFail("\(name) has no numeric \(key)", file: file, line: line)
            return .nan
        }
        return value
    }
}
