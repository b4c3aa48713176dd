import Domain
import Store

/// The live part of a game page, built in Swift: the board is the hot path (225–361 cells on every
/// move, for the mover, the opponent and every spectator), and the only text in it is numbers,
/// fixed class names and escaped player names.
struct BoardView {
    let record: GameRecord
    let game: Game

    /// The page's board: the form that posts moves around the swappable `#board`, then the status
    /// line and the move list. The form stays put when a push replaces `#board`, so a request it
    /// sent still has its element when the answer comes. `csrfToken` is for browsers without JavaScript.
    func renderPage(csrfToken: String) -> String {
        let path = Route.gameMove(record.id).path
        var html = HTMLBuffer(capacity: capacity)
        html.append("<form id=\"board-form\" class=\"board-form\" method=\"post\" action=\"")
        html.append(escaped: path)
        html.append("\" hx-post=\"")
        html.append(escaped: path)
        html.append("\" hx-swap=\"none\"><input type=\"hidden\" name=\"csrf_token\" value=\"")
        html.append(escaped: csrfToken)
        html.append("\">")
        appendBoard(to: &html, oob: false, closingForm: true)
        return html.string
    }

    /// `#board`, the status line and the move list, each with `hx-swap-oob` when `oob`: the page's
    /// board, and what is pushed when more than a few cells change (renju's forbidden points, the end
    /// of a game, a resignation).
    func render(oob: Bool) -> String {
        var html = HTMLBuffer(capacity: capacity)
        appendBoard(to: &html, oob: oob, closingForm: false)
        return html.string
    }

    /// What a move pushes, smallest form: the new stone's cell, the previous stone's cell (it loses its
    /// last-move mark), whose turn, the status line, the move list and the announcement — about 1 KB
    /// instead of the whole board. Every part replaces an element by its id, so applying it twice (the
    /// mover gets it as the answer and as a push) or after a replay leaves the same page. When the move
    /// changes more than that — the game ends, or renju's forbidden points move — it is the whole board.
    func renderMove(previous: Point?) -> String {
        guard let last = game.lastMove?.point, !game.status.isOver, !game.ruleset.hasForbiddenMoves else { return render(oob: true) }
        var html = HTMLBuffer(capacity: 2048)
        appendTurn(to: &html, oob: true)
        appendCell(last, to: &html, forbidden: [:], oob: true)
        if let previous, previous != last { appendCell(previous, to: &html, forbidden: [:], oob: true) }
        appendStatusAndMoves(to: &html, oob: true)
        return html.string
    }

    /// About 90 bytes a point, plus the status and the move list.
    private var capacity: Int { game.board.size * game.board.size * 96 + 4096 }

    private func appendBoard(to html: inout HTMLBuffer, oob: Bool, closingForm: Bool) {
        let size = game.board.size
        html.append("<div id=\"board\" class=\"board board-")
        html.append(size)
        html.append("\"")
        appendSwap(oob, to: &html)
        html.append(">")
        appendTurn(to: &html, oob: false)
        html.append("<div class=\"board-grid\">")
        let forbidden = forbiddenPoints
        for row in 0..<size {
            for col in 0..<size { appendCell(Point(row: row, col: col), to: &html, forbidden: forbidden, oob: false) }
        }
        html.append("</div></div>")
        if closingForm { html.append("</form>") }
        appendStatusAndMoves(to: &html, oob: oob)
    }

    private var forbiddenPoints: [Point: ForbiddenReason] {
        guard !game.status.isOver, game.toMove == .black, game.ruleset.hasForbiddenMoves else { return [:] }
        var points: [Point: ForbiddenReason] = [:]
        for entry in game.forbiddenPoints() { points[entry.point] = entry.reason }
        return points
    }

    /// Whose turn it is and the number of the next move (the form posts it as the expected move
    /// number); the page's CSS reads `data-turn` to let only the player to move click.
    private func appendTurn(to html: inout HTMLBuffer, oob: Bool) {
        html.append("<div id=\"turn\" class=\"turn\" data-turn=\"")
        html.append(escaped: game.status.isOver ? "over" : game.toMove.rawValue)
        html.append("\" data-move=\"")
        html.append(game.moveNumber)
        html.append("\"")
        appendSwap(oob, to: &html)
        html.append("><input type=\"hidden\" name=\"move\" value=\"")
        html.append(game.moveNumber)
        html.append("\"></div>")
    }

    /// One point of the board: a stone, an empty point (a button while the game is on), with an id so
    /// a push can replace it alone.
    private func appendCell(_ point: Point, to html: inout HTMLBuffer, forbidden: [Point: ForbiddenReason], oob: Bool) {
        let stone = game.board[point]
        let reason = stone == nil ? forbidden[point] : nil
        let isButton = stone == nil && !game.status.isOver
        html.append(isButton ? "<button id=\"p-" : "<span id=\"p-")
        html.append(point.row)
        html.append("-")
        html.append(point.col)
        html.append("\" class=\"cell")
        if let stone {
            html.append(stone == .black ? " black" : " white")
            if point == game.lastMove?.point { html.append(" last") }
            if game.winningLine.contains(point) { html.append(" win") }
            html.append("\" role=\"img\" aria-label=\"")
            appendNotation(point, to: &html)
            html.append(stone == .black ? " black\"" : " white\"")
        } else if isButton {
            if reason != nil { html.append(" forbidden") }
            html.append("\" name=\"at\" value=\"")
            html.append(point.row)
            html.append(",")
            html.append(point.col)
            if let reason {
                html.append("\" title=\"Forbidden for Black: ")
                html.append(escaped: reason.rawValue)
                html.append("\" aria-label=\"")
                appendNotation(point, to: &html)
                html.append(", forbidden for Black\"")
            } else {
                html.append("\" aria-label=\"")
                appendNotation(point, to: &html)
                html.append("\"")
            }
        } else {
            html.append("\"")
        }
        appendSwap(oob, to: &html)
        html.append(isButton ? "></button>" : "></span>")
    }

    /// Marks an element that a push replaces by its id.
    private func appendSwap(_ oob: Bool, to html: inout HTMLBuffer) {
        if oob { html.append(" hx-swap-oob=\"true\"") }
    }

    /// "h8": the column letter and the row counted from the bottom, as `Point.notation` spells it.
    private func appendNotation(_ point: Point, to html: inout HTMLBuffer) {
        html.append(escaped: point.notation(boardSize: game.board.size) ?? "")
    }

    private func appendStatusAndMoves(to html: inout HTMLBuffer, oob: Bool) {
        html.append("<p id=\"game-status\" class=\"game-status\"")
        appendSwap(oob, to: &html)
        html.append(">")
        html.append(escaped: statusText)
        html.append("</p>")
        // A live region that stays in the page (only its text is swapped), so screen readers announce each move.
        if oob {
            html.append("<p id=\"move-announcer\" hx-swap-oob=\"innerHTML\">")
            html.append(escaped: announcement)
            html.append("</p>")
        } else {
            html.append("<p id=\"move-announcer\" class=\"visually-hidden\" aria-live=\"polite\" aria-atomic=\"true\"></p>")
        }
        html.append("<ol id=\"move-list\" class=\"move-list\"")
        appendSwap(oob, to: &html)
        html.append(">")
        for move in game.moves {
            html.append(move.stone == .black ? "<li class=\"black\">" : "<li class=\"white\">")
            appendNotation(move.point, to: &html)
            html.append("</li>")
        }
        html.append("</ol>")
    }

    /// What a screen reader says when a move arrives: the move, then the new state.
    var announcement: String {
        guard let last = game.lastMove, case .ongoing = game.status else { return statusText }
        return "\(last.stone.displayName) played \(last.point.notation(boardSize: game.board.size) ?? ""). \(statusText)"
    }

    var statusText: String {
        let names: [Stone: String] = [.black: record.blackName, .white: record.whiteName]
        switch game.status {
        case .ongoing:
            return "\(game.toMove.displayName) (\(names[game.toMove]!)) to play · move \(game.moveNumber)"
        case .won(let stone, _):
            return "\(stone.displayName) (\(names[stone]!)) won with five in a row."
        case .draw:
            return "Draw: the board is full."
        case .resigned(let stone):
            return "\(stone.displayName) (\(names[stone]!)) resigned; \(stone.opponent.displayName) (\(names[stone.opponent]!)) wins."
        }
    }
}
