import Domain

/// A lesson diagram: a window of the board written as text (`.` empty, `X` black, `O` white, `*` a
/// marked point, `#` a forbidden point), with an optional `caption:` and `origin: h8` (the board
/// point of the top-left cell) — rendered as a small grid that reads without JavaScript.
struct BoardDiagram {
    let caption: String?
    let origin: Point?
    let rows: [[Character]]

    /// Nil when the text is not a diagram (no rows, or rows of different widths).
    init?(lines: [String]) {
        var caption: String?
        var origin: Point?
        var rows: [[Character]] = []
        for raw in lines {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty { continue }
            if line.hasPrefix("caption:") { caption = line.dropFirst(8).trimmingCharacters(in: .whitespaces); continue }
            if line.hasPrefix("origin:") {
                origin = try? Point(line.dropFirst(7).trimmingCharacters(in: .whitespaces), boardSize: 15)
                continue
            }
            let cells = line.split(separator: " ").compactMap(\.first)
            guard cells.allSatisfy({ ".XO*#".contains($0) }) else { return nil }
            rows.append(cells)
        }
        guard let width = rows.first?.count, width > 0, rows.allSatisfy({ $0.count == width }) else { return nil }
        self.caption = caption
        self.origin = origin
        self.rows = rows
    }

    var html: String {
        let width = rows[0].count
        var description: [String] = []
        var cells = ""
        for (r, row) in rows.enumerated() {
            for (c, cell) in row.enumerated() {
                let name = origin.flatMap { Point(row: $0.row + r, col: $0.col + c).notation(boardSize: 15) }
                let (classes, spoken): (String, String?) = switch cell {
                case "X": ("cell black", "black")
                case "O": ("cell white", "white")
                case "*": ("cell marked", "marked")
                case "#": ("cell forbidden", "forbidden")
                default: ("cell", nil)
                }
                if let spoken { description.append(name.map { "\($0) \(spoken)" } ?? spoken) }
                cells += "<span class=\"\(classes)\"\(name.map { " title=\"\($0)\"" } ?? "")></span>"
            }
        }
        let label = caption ?? "Board diagram"
        var html = "<figure class=\"diagram\"><div class=\"diagram-grid diagram-columns-\(min(width, 19))\" role=\"img\" aria-label=\""
        html += (label + (origin == nil ? "" : ": " + description.joined(separator: ", "))).htmlEscaped + "\">" + cells + "</div>"
        if let caption { html += "<figcaption>\(caption.htmlEscaped)</figcaption>" }
        return html + "</figure>"
    }
}
