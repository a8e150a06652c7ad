import Foundation
import Plot
import Plotting

/// The report page: one self-contained HTML file (inline CSS, inline SVG figures, an inline
/// script that sorts the points table; nothing loaded from elsewhere), built with Plot's HTML DSL.
public enum ReportPage {
    /// The page for `input`. Same input, same bytes.
    /// - Throws: ``Plotting/PlotError`` when a figure cannot be drawn.
    public static func html(for input: ReportInput) throws -> String {
        try html(for: input, figures: figures(for: input))
    }

    /// Writes `report.html` and each figure as `<name>.svg` into `directory` (created if
    /// needed); returns the URL of `report.html`.
    /// - Throws: ``ReportError/unwritable(path:reason:)``, or ``Plotting/PlotError``.
    public static func write(_ input: ReportInput, to directory: URL) throws -> URL {
        let figures = try figures(for: input)
        let page = try html(for: input, figures: figures)
        let target = directory.appendingPathComponent("report.html")
        do {
            try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
            for figure in figures {
                try Data(try figure.figure.svg().utf8).write(to: directory.appendingPathComponent("\(figure.name).svg"), options: .atomic)
            }
            try Data(page.utf8).write(to: target, options: .atomic)
        } catch let error as PlotError {
            throw error
        } catch {
            throw ReportError.unwritable(path: target.path, reason: error.localizedDescription)
        }
        return target
    }

    static func html(for input: ReportInput, figures: [ReportFigure]) throws -> String {
        let svgs = try figures.map { try $0.figure.svg(embedded: true) }
        let figureNodes: [Node<HTML.BodyContext>] = zip(figures, svgs).map { figure, svg in
            .element(named: "figure", nodes: [
                .attribute(named: "id", value: "figure-\(figure.name)"),
                .raw(svg),
                .element(named: "figcaption", nodes: [text(figure.caption)]),
            ])
        }
        let page = HTML(
            .lang(.english),
            .head(
                .meta(.charset(.utf8)),
                .element(named: "title", nodes: [text(input.title)]),
                .style(stylesheet)
            ),
            .body(
                .main(
                    .h1(text(input.title)),
                    .p(.class("provenance"), text(provenance(input))),
                    .if(input.command != nil, .pre(.class("command"), .code(text(input.command ?? "")))),
                    .h2("Summary"),
                    .table(.class("summary"), .tbody(.group(summaryRows(input).map { row in
                        .tr(.th(text(row.0)), .td(text(row.1)))
                    }))),
                    .h2("Figures"),
                    .if(figureNodes.isEmpty, .p("The run has no points to draw.")),
                    .group(figureNodes),
                    .h2("Points"),
                    .p(.class("hint"), "Click a column header to sort; click again to reverse."),
                    pointsTable(input)
                ),
                .script(.raw(sortScript))
            )
        )
        return page.render() + "\n"
    }

    /// Text escaped strictly (Plot's own escaping leaves entity-like `&name;` sequences alone).
    static func text(_ string: String) -> Node<HTML.BodyContext> { .raw(XMLEscaping.text(string)) }

    static func provenance(_ input: ReportInput) -> String {
        var parts = ["ParetoKit \(input.version ?? "(version not recorded)")"]
        parts.append("seed \(input.seed.map(String.init) ?? "not recorded")")
        if let source = input.source { parts.append("from \(source)") }
        if input.command == nil { parts.append("command not recorded") }
        return parts.joined(separator: " · ")
    }

    static func number(_ value: Double?) -> String {
        guard let value else { return "—" }
        return String(format: "%.6g", value)
    }

    static func summaryRows(_ input: ReportInput) -> [(String, String)] {
        var rows: [(String, String)] = [("problem", input.problem), ("method", input.method)]
        if let architecture = input.architecture { rows.append(("architecture", architecture)) }
        rows.append(("seed", input.seed.map(String.init) ?? "—"))
        if let reference = input.reference {
            rows.append(("reference point", "(" + reference.map { number($0) }.joined(separator: ", ") + ")" + (input.referenceRule.map { " — \($0)" } ?? "")))
        }
        let space = input.isNetwork ? " (test losses)" : ""
        let h = input.hypervolumes
        if !input.families.isEmpty {
            // A stitched run: its front, its families, its gaps.
            if let v = h.continuous { rows.append(("hypervolume, stitched front\(space)", number(v))) }
            for family in input.families {
                rows.append(("hypervolume, family \(family.name)", family.hypervolume.map { number($0) } ?? "—"))
            }
            rows.append(("points on the stitched front", "\(input.points.count) from \(input.families.filter { !$0.objectives.isEmpty }.count) of \(input.families.count) families"))
            rows.append(("gaps", "\(input.gaps.count)"))
            if let e = input.evaluations { rows.append(("models evaluated at crossings", e.objectives.map(String.init) ?? "—")) }
        } else {
            if let v = h.continuous { rows.append(("hypervolume, continuous front\(space)", number(v))) }
            if let v = h.points { rows.append(("hypervolume, accepted points\(space)", number(v))) }
            if let v = h.before { rows.append(("hypervolume before (input network)", number(v))) }
            if let v = h.after { rows.append(("hypervolume after", number(v))) }
            if let v = h.analytic { rows.append(("hypervolume, analytic front", number(v))) }
            rows.append(("accepted points", "\(input.points.count)"))
            if let c = input.candidates { rows.append(("candidates tried", "\(c)")) }
            if let r = input.rejected { rows.append(("candidates rejected", "\(r)")) }
            if !input.failures.isEmpty {
                rows.append(("branches stopped by numerical failures", "\(input.failures.count): " + input.failures.joined(separator: "; ")))
            }
            rows.append(("curve samples", "\(input.curve.count) (\(input.curve.filter(\.dominated).count) dominated)"))
            if let e = input.evaluations {
                let show = { (v: Int?) in v.map(String.init) ?? "—" }
                rows.append(("evaluations (excluding the curve)", "\(show(e.objectives)) objectives, \(show(e.gradients)) gradients, \(show(e.hvps)) Hessian-vector products"))
            }
        }
        if let s = input.stationarity { rows.append(("seed stationarity before → after ParetoOptimize", "\(number(s.before)) → \(number(s.after))")) }
        let stationarities = input.points.compactMap(\.stationarity)
        if let worst = stationarities.max() { rows.append(("stationarity, largest over points", number(worst))) }
        let iterations = input.points.compactMap(\.minresIterations).filter { $0 > 0 }
        if !iterations.isEmpty {
            let mean = Double(iterations.reduce(0, +)) / Double(iterations.count)
            rows.append(("MINRES iterations per solve", "mean \(number(mean)), max \(iterations.max() ?? 0)"))
        }
        if let t = input.timing {
            if let v = t.totalSeconds { rows.append(("wall-clock time", "\(number(v)) s")) }
            if let v = t.hvpSecondsMean { rows.append(("mean time per Hessian-vector product", "\(number(v)) s")) }
            if let v = t.gradientSecondsMean { rows.append(("mean time per gradient", "\(number(v)) s")) }
            if let v = t.stepSeconds.max() { rows.append(("slowest step to an accepted point", "\(number(v)) s")) }
        }
        if let i = input.images {
            let show = { (v: Int?) in v.map(String.init) ?? "—" }
            rows.append(("images (train / test / per HVP)", "\(show(i.train)) / \(show(i.test)) / \(show(i.hvp))"))
        }
        if let version = input.version { rows.append(("ParetoKit version", version)) }
        if let command = input.command { rows.append(("command", command)) }
        return rows
    }

    /// A points-table column: header, whether numeric, and each point's cell (sort key, text).
    struct Column {
        let header: String
        let numeric: Bool
        let cell: (ReportPoint) -> (String, String)?
    }

    static func columns(_ input: ReportInput) -> [Column] {
        let points = input.points
        func numeric(_ header: String, _ value: @escaping (ReportPoint) -> Double?) -> Column {
            Column(header: header, numeric: true) { p in value(p).map { ("\($0)", number($0)) } }
        }
        func vector(_ name: String, _ value: @escaping (ReportPoint) -> [Double]?) -> [Column] {
            let count = points.compactMap { value($0)?.count }.max() ?? 0
            let subscripts = ["\u{2080}", "\u{2081}", "\u{2082}", "\u{2083}", "\u{2084}", "\u{2085}", "\u{2086}", "\u{2087}", "\u{2088}", "\u{2089}"]
            func suffix(_ i: Int) -> String {
                guard count > 1 else { return "" }
                return name.count == 1 ? String(i + 1).map { subscripts[Int(String($0))!] }.joined() : " \(i + 1)"
            }
            return (0..<count).map { i in numeric(name + suffix(i)) { p in value(p).flatMap { $0.count > i ? $0[i] : nil } } }
        }
        var columns = [numeric("id") { Double($0.id) }, numeric("parent") { $0.parent.map(Double.init) }, numeric("t") { $0.t }]
        columns += vector("\u{03BB}", { $0.preference })
        columns += vector(input.isNetwork ? "train loss" : "f", { $0.objectives })
        columns += vector("test loss", { $0.testLoss })
        columns += vector("test accuracy", { $0.testAccuracy })
        columns += [
            numeric("favours") { $0.favours.map(Double.init) }, numeric("MINRES it.") { $0.minresIterations.map(Double.init) },
            numeric("optimize it.") { $0.optimizeIterations.map(Double.init) }, numeric("stationarity") { $0.stationarity },
            numeric("distance to front") { $0.distanceToFront }, numeric("distance to set") { $0.distanceToSet },
            Column(header: "checkpoint", numeric: false) { p in p.checkpoint.map { ($0, $0) } },
        ]
        return columns.filter { column in points.contains { column.cell($0) != nil } }
    }

    static func pointsTable(_ input: ReportInput) -> Node<HTML.BodyContext> {
        let columns = columns(input)
        return .table(
            .class("sortable points"),
            .thead(.tr(.group(columns.map { column in
                .th(.attribute(named: "data-type", value: column.numeric ? "number" : "text"), text(column.header))
            }))),
            .tbody(.group(input.points.map { point in
                .tr(.group(columns.map { column in
                    let (key, shown) = column.cell(point) ?? ("", "—")
                    return .td(.attribute(named: "data-sort", value: XMLEscaping.attribute(key)), text(shown))
                }))
            }))
        )
    }

    static let stylesheet = """
    body { font-family: "DejaVu Sans", Helvetica, Arial, sans-serif; color: #222; margin: 0; background: #fafafa; }
    main { max-width: 1100px; margin: 0 auto; padding: 24px; background: #fff; }
    h1 { font-size: 22px; margin: 0 0 6px; } h2 { font-size: 17px; margin: 28px 0 10px; border-bottom: 1px solid #ddd; }
    .provenance, .hint { color: #555; font-size: 13px; }
    pre.command { background: #f3f3f3; padding: 8px 10px; overflow-x: auto; font-size: 12px; }
    table { border-collapse: collapse; font-size: 12px; }
    table.summary th { text-align: left; font-weight: normal; color: #555; padding: 3px 14px 3px 0; }
    table.summary td { padding: 3px 0; font-variant-numeric: tabular-nums; }
    table.points { display: block; overflow-x: auto; max-height: 520px; }
    table.points th { position: sticky; top: 0; background: #eee; cursor: pointer; padding: 4px 8px; white-space: nowrap; }
    table.points th[aria-sort=ascending]::after { content: " ▲"; } table.points th[aria-sort=descending]::after { content: " ▼"; }
    table.points td { padding: 3px 8px; border-bottom: 1px solid #eee; text-align: right; font-variant-numeric: tabular-nums; }
    figure { margin: 18px 0; } figure svg { max-width: 100%; height: auto; display: block; }
    figcaption { font-size: 13px; color: #444; margin-top: 4px; }
    """

    static let sortScript = """
    document.querySelectorAll('table.sortable').forEach(function (table) {
      var headers = table.querySelectorAll('th');
      headers.forEach(function (header, column) {
        header.addEventListener('click', function () {
          var ascending = header.getAttribute('aria-sort') !== 'ascending';
          headers.forEach(function (h) { h.removeAttribute('aria-sort'); });
          header.setAttribute('aria-sort', ascending ? 'ascending' : 'descending');
          var numeric = header.getAttribute('data-type') === 'number';
          var body = table.tBodies[0];
          var rows = Array.prototype.slice.call(body.rows);
          rows.sort(function (a, b) {
            var x = a.cells[column].getAttribute('data-sort'), y = b.cells[column].getAttribute('data-sort');
            if (x === '' || y === '') { return (x === '') - (y === ''); }
            var order = numeric ? parseFloat(x) - parseFloat(y) : x.localeCompare(y);
            return ascending ? order : -order;
          });
          rows.forEach(function (row) { body.appendChild(row); });
        });
      });
    });
    """
}
