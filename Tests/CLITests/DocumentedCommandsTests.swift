import Foundation
import XCTest

/// Every `pareto` command in the `sh` code blocks of README.md and docs/*.md parses and passes
/// validation (`PARETOKIT_DRY_RUN=1`: parsed and validated, not run), so a documented command
/// cannot break again. Shell variables assigned in a block (`P=…`, `COMMON="…"`) are expanded,
/// continuation lines joined and comments dropped; the commands themselves are not rewritten.
final class DocumentedCommandsTests: XCTestCase {
    private var packageRoot: URL {
        URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    }

    /// The commands of one Markdown file: (line number, arguments after `pareto`).
    static func commands(inMarkdown text: String) -> [(line: Int, arguments: [String])] {
        var result: [(Int, [String])] = []
        var inShellBlock = false
        var variables: [String: String] = [:]
        var pending = "", pendingLine = 0
        for (index, raw) in text.components(separatedBy: "\n").enumerated() {
            let trimmed = raw.trimmingCharacters(in: .whitespaces)
            if trimmed.hasPrefix("```") {
                inShellBlock = !inShellBlock && (trimmed == "```sh" || trimmed == "```bash")
                variables = [:]
                continue
            }
            guard inShellBlock else { continue }
            if pending.isEmpty { pendingLine = index + 1 }
            let line = pending + " " + trimmed
            if line.hasSuffix("\\") {
                pending = String(line.dropLast())
                continue
            }
            pending = ""
            var words = shellWords(line, variables: variables)
            // `for VAR in A B C; do` … `done`: the body runs with VAR = A (then B, C: one is enough
            // to check the options).
            if words.first == "for", words.count >= 4, words[2] == "in" {
                let values = words[3...].prefix { $0 != "do" && $0 != ";" }.map { $0.hasSuffix(";") ? String($0.dropLast()) : $0 }
                variables[words[1]] = values.first ?? ""
                continue
            }
            if words == ["done"] { continue }
            if words.first == "do" { words.removeFirst() }
            if words.count == 1, let equals = words[0].firstIndex(of: "="), !words[0].hasPrefix("-") {
                variables[String(words[0][..<equals])] = String(words[0][words[0].index(after: equals)...])
                continue
            }
            for command in words.split(separator: "&&") {
                let words = Array(command)
                guard let start = words.firstIndex(where: { $0 == "pareto" || $0.hasSuffix("/pareto") }) else { continue }
                result.append((pendingLine, Array(words[(start + 1)...])))
            }
        }
        return result
    }

    /// Splits a shell line into words: whitespace outside double quotes separates, `$NAME`
    /// expands (to several words when unquoted), `#` after whitespace starts a comment.
    static func shellWords(_ line: String, variables: [String: String]) -> [String] {
        var words: [String] = [], current = "", quoted = false, started = false
        var characters = Array(line)[...]
        func flush() {
            if started { words.append(current) }
            current = ""
            started = false
        }
        while let c = characters.first {
            characters = characters.dropFirst()
            if c == "\"" { quoted.toggle(); started = true; continue }
            if !quoted && c == "#" && !started { break }
            if !quoted && c.isWhitespace { flush(); continue }
            if c == "$" {
                let name = String(characters.prefix { $0.isLetter || $0.isNumber || $0 == "_" })
                characters = characters.dropFirst(name.count)
                let value = variables[name] ?? ""
                if quoted {
                    current += value
                    started = true
                } else {
                    let parts = value.split(whereSeparator: \.isWhitespace).map(String.init)
                    for (k, part) in parts.enumerated() {
                        current += part
                        started = true
                        if k < parts.count - 1 { flush() }
                    }
                }
                continue
            }
            current.append(c)
            started = true
        }
        flush()
        return words
    }

    /// The extraction itself, on a block written for it.
    func testExtractionJoinsLinesExpandsVariablesAndDropsComments() {
        let markdown = """
            text
            ```sh
            P=.build/release/pareto
            COMMON="--from a.safetensors \\
              --points 3"
            $P expand $COMMON --out run/   # a comment
            scripts/install.sh && swift run -c release pareto evaluate --problem zdt2 --at -0.5,1 --json
            for k in 3 4; do
              pareto train --preference-index $k --out p-$k.safetensors
            done
            ```
            ```swift
            pareto not a command
            ```
            """
        let commands = Self.commands(inMarkdown: markdown)
        XCTAssertEqual(commands.map(\.arguments), [
            ["expand", "--from", "a.safetensors", "--points", "3", "--out", "run/"],
            ["evaluate", "--problem", "zdt2", "--at", "-0.5,1", "--json"],
            ["train", "--preference-index", "3", "--out", "p-3.safetensors"],
        ])
    }

    func testEveryDocumentedCommandParsesAndValidates() throws {
        let docs = try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent("docs").path)
            .filter { $0.hasSuffix(".md") && $0 != "cli.md" }.sorted().map { "docs/" + $0 }
        var checked = 0
        for file in ["README.md"] + docs {
            let text = try String(contentsOf: packageRoot.appendingPathComponent(file), encoding: .utf8)
            for (line, arguments) in Self.commands(inMarkdown: text) {
                XCTAssertFalse(arguments.contains("…"), "\(file):\(line): an elided command cannot be run: \(arguments)")
                let run = try runProduct("pareto", arguments, environment: ["PARETOKIT_DRY_RUN": "1"])
                XCTAssertEqual(run.status, 0, "\(file):\(line): pareto \(arguments.joined(separator: " ")): \(run.error)")
                checked += 1
            }
        }
        XCTAssertGreaterThanOrEqual(checked, 20, "the extraction found too few commands")
    }
}
