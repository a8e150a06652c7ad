import Foundation

/// A node of an SVG (XML) document: an element with ordered attributes, child elements and
/// optional text. Rendering escapes text and attribute values, so any label is valid XML.
struct SVGElement: Sendable {
    var name: String
    var attributes: [(String, String)]
    var children: [SVGElement]
    var text: String?

    init(_ name: String, _ attributes: [(String, String)] = [], children: [SVGElement] = [], text: String? = nil) {
        self.name = name
        self.attributes = attributes
        self.children = children
        self.text = text
    }

    /// Appends the element and its children to `output` (no whitespace between elements except
    /// a newline after each child of the root, so that diffs of figures stay readable).
    func render(into output: inout String, depth: Int = 0) {
        output += "<" + name
        for (key, value) in attributes {
            output += " " + key + "=\"" + XMLEscaping.attribute(value) + "\""
        }
        if children.isEmpty && text == nil {
            output += "/>"
            return
        }
        output += ">"
        if let text { output += XMLEscaping.text(text) }
        for child in children {
            if depth == 0 { output += "\n" }
            child.render(into: &output, depth: depth + 1)
        }
        if depth == 0 { output += "\n" }
        output += "</" + name + ">"
    }
}

/// Escaping of text and attribute values for XML 1.0 (and HTML).
public enum XMLEscaping {
    /// `text` with `&`, `<` and `>` escaped and characters XML 1.0 forbids (C0 controls other
    /// than tab, line feed and carriage return) removed.
    public static func text(_ text: String) -> String {
        var result = ""
        result.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": result += "&amp;"
            case "<": result += "&lt;"
            case ">": result += "&gt;"
            default:
                if scalar.value < 0x20 && scalar != "\t" && scalar != "\n" && scalar != "\r" { continue }
                if scalar.value == 0xFFFE || scalar.value == 0xFFFF { continue }
                result.unicodeScalars.append(scalar)
            }
        }
        return result
    }

    /// `value` escaped for a double- or single-quoted attribute: as ``text(_:)`` plus quotes,
    /// and tab, line feed and carriage return as character references (so parsers keep them).
    public static func attribute(_ value: String) -> String {
        var result = ""
        for scalar in text(value).unicodeScalars {
            switch scalar {
            case "\"": result += "&quot;"
            case "'": result += "&#39;"
            case "\t": result += "&#9;"
            case "\n": result += "&#10;"
            case "\r": result += "&#13;"
            default: result.unicodeScalars.append(scalar)
            }
        }
        return result
    }
}

/// Formatting of pixel coordinates: two decimals, trailing zeros dropped, never `-0`.
enum PixelFormat {
    static func string(_ value: Double) -> String {
        let rounded = (value * 100).rounded() / 100
        if rounded == 0 { return "0" }
        var text = String(format: "%.2f", rounded)
        while text.hasSuffix("0") { text.removeLast() }
        if text.hasSuffix(".") { text.removeLast() }
        return text
    }

    /// `"x1,y1 x2,y2 …"` for a `points` attribute.
    static func points(_ points: [(Double, Double)]) -> String {
        points.map { string($0.0) + "," + string($0.1) }.joined(separator: " ")
    }
}
