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
        return "<form id=\"board-form\" class=\"board-form\" method=\"post\" action=\"\(path)\" hx-post=\"\(path)\" hx-swap=\"none\">"
            + "<input type=\"hidden\" name=\"csrf_token\" value=\"\(csrfToken.htmlEscaped)\">"
            + render(oob: false, closingForm: true)
    }

    /// `#board`, the status line and the move list, each with `hx-swap-oob` when `oob`: the page's
    /// board, and what is pushed when more than a few cells change (renju's forbidden points, the end
    /// of a game, a resignation).
    func render(oob: Bool, closingForm: Bool = false) -> String {
        let swap = oob ? " hx-swap-oob=\"true\"" : ""
        let size = game.board.size
        var html = ""
        html.reserveCapacity(size * size * 72 + 2048)
        html += "<div id=\"board\" class=\"board board-\(size)\"\(swap)>" + turnHTML(oob: false) + "<div class=\"board-grid\">"
        let forbidden = forbiddenPoints
        for row in 0..<size {
            for col in 0..<size { html += cellHTML(Point(row: row, col: col), forbidden: forbidden, oob: false) }
        }
        html += "</div></div>"
        if closingForm { html += "</form>" }
        html += statusAndMovesHTML(oob: oob)
        return html
    }

    /// What a move pushes, smallest form: the new stone's cell, the previous stone's cell (it loses its
    /// last-move mark), whose turn, the status line, the move list and the announcement — about 1 KB
    /// instead of the whole board. Every part replaces an element by its id, so applying it twice (the
    /// mover gets it as the answer and as a push) or after a replay leaves the same page. When the move
    /// changes more than that — the game ends, or renju's forbidden points move — it is the whole board.
    func renderMove(previous: Point?) -> String {
        guard let last = game.lastMove?.point, !game.status.isOver, !game.ruleset.hasForbiddenMoves else { return render(oob: true) }
        var html = turnHTML(oob: true) + cellHTML(last, forbidden: [:], oob: true)
        if let previous, previous != last { html += cellHTML(previous, forbidden: [:], oob: true) }
        return html + statusAndMovesHTML(oob: true)
    }

    private var forbiddenPoints: [Point: ForbiddenReason] {
        guard !game.status.isOver, game.toMove == .black, game.ruleset.hasForbiddenMoves else { return [:] }
        var points: [Point: ForbiddenReason] = [:]
        for entry in game.forbiddenPoints() { points[entry.point] = entry.reason }
        return points
    }

    /// Whose turn it is and the number of the next move (the form posts it as the expected move
    /// number); the page's CSS reads `data-turn` to let only the player to move click.
    private func turnHTML(oob: Bool) -> String {
        let turn = game.status.isOver ? "over" : game.toMove.rawValue
        return "<div id=\"turn\" class=\"turn\" data-turn=\"\(turn)\" data-move=\"\(game.moveNumber)\"\(oob ? " hx-swap-oob=\"true\"" : "")>"
            + "<input type=\"hidden\" name=\"move\" value=\"\(game.moveNumber)\"></div>"
    }

    /// One point of the board: a stone, an empty point (a button while the game is on), with an id so
    /// a push can replace it alone.
    private func cellHTML(_ point: Point, forbidden: [Point: ForbiddenReason], oob: Bool) -> String {
        let id = "p-\(point.row)-\(point.col)"
        let swap = oob ? " hx-swap-oob=\"true\"" : ""
        let name = point.notation(boardSize: game.board.size) ?? ""
        if let stone = game.board[point] {
            var classes = "cell \(stone.rawValue)"
            if point == game.lastMove?.point { classes += " last" }
            if game.winningLine.contains(point) { classes += " win" }
            return "<span id=\"\(id)\" class=\"\(classes)\" role=\"img\" aria-label=\"\(name) \(stone.rawValue)\"\(swap)></span>"
        }
        if game.status.isOver { return "<span id=\"\(id)\" class=\"cell\"\(swap)></span>" }
        if let reason = forbidden[point] {
            return "<button id=\"\(id)\" class=\"cell forbidden\" name=\"at\" value=\"\(point.row),\(point.col)\" title=\"Forbidden for Black: \(reason.rawValue)\" aria-label=\"\(name), forbidden for Black\"\(swap)></button>"
        }
        return "<button id=\"\(id)\" class=\"cell\" name=\"at\" value=\"\(point.row),\(point.col)\" aria-label=\"\(name)\"\(swap)></button>"
    }

    private func statusAndMovesHTML(oob: Bool) -> String {
        let swap = oob ? " hx-swap-oob=\"true\"" : ""
        var html = "<p id=\"game-status\" class=\"game-status\"\(swap)>\(statusText.htmlEscaped)</p>"
        // A live region that stays in the page (only its text is swapped), so screen readers announce each move.
        if oob {
            html += "<p id=\"move-announcer\" hx-swap-oob=\"innerHTML\">\(announcement.htmlEscaped)</p>"
        } else {
            html += "<p id=\"move-announcer\" class=\"visually-hidden\" aria-live=\"polite\" aria-atomic=\"true\"></p>"
        }
        html += "<ol id=\"move-list\" class=\"move-list\"\(swap)>"
        for move in game.moves {
            html += "<li class=\"\(move.stone.rawValue)\">\(move.point.notation(boardSize: game.board.size) ?? "")</li>"
        }
        return html + "</ol>"
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
