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
    /// sent still has its element when the answer comes. `csrfToken` is for browsers without JavaScript;
    /// the rest is the same for every viewer of this position and comes from `boards` when it has it.
    func renderPage(csrfToken: String, boards: RenderMemo<Int64, GameRecord>) -> String {
        let path = Route.gameMove(record.id).path
        var form = HTMLBuffer(capacity: 512)
        form.append("<form id=\"board-form\" class=\"board-form\" method=\"post\" action=\"")
        form.append(escaped: path)
        form.append("\" hx-post=\"")
        form.append(escaped: path)
        form.append("\" hx-swap=\"none\"><input type=\"hidden\" name=\"csrf_token\" value=\"")
        form.append(escaped: csrfToken)
        form.append("\">")
        let board = boards.html(for: record.id, from: record) {
            var html = HTMLBuffer(capacity: capacity)
            appendBoard(to: &html, oob: false, closingForm: true)
            return html.string
        }
        return form.string + board
    }

    /// `#board`, the status line and the move list, each with `hx-swap-oob` when `oob`: the page's
    /// board, and what is pushed when more than a few cells change (renju's forbidden points, the end
    /// of a game, a resignation).
    func render(oob: Bool) -> String {
        var html = HTMLBuffer(capacity: capacity)
        appendBoard(to: &html, oob: oob, closingForm: false)
        return html.string
    }

    /// What a move changes on a page, smallest form — the new stone's cell, the previous stone's cell (it
    /// loses its last-move mark), whose turn, the status line and the announcement, each replacing an
    /// element by its id, so applying them twice (the mover gets them as the answer and in the push) or
    /// after a replay leaves the same page — and, in the push only, the move appended to the move list: a
    /// few hundred bytes at any length of game, where the whole list grew by 30 bytes a move. Appending
    /// is safe there because every page gets each push exactly once (the bridge replays from the page's
    /// own last id) and a page loaded later lists the move already; the mover's page gets it with the
    /// push like everyone else's. When the move changes more than that — the game ends, or renju's
    /// forbidden points move — both are the whole board.
    func renderMove(previous: Point?) -> (push: String, answer: String) {
        guard let last = game.lastMove, !game.status.isOver, !game.ruleset.hasForbiddenMoves else {
            let whole = render(oob: true)
            return (whole, whole)
        }
        var html = HTMLBuffer(capacity: 1024)
        appendTurn(to: &html, oob: true)
        appendCell(last.point, to: &html, forbidden: [:], oob: true)
        if let previous, previous != last.point { appendCell(previous, to: &html, forbidden: [:], oob: true) }
        appendStatus(to: &html, oob: true)
        let answer = html.string
        html.append("<ol hx-swap-oob=\"beforeend:#move-list\">")
        appendMoveItem(last, to: &html)
        html.append("</ol>")
        return (html.string, answer)
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
        appendStatus(to: &html, oob: oob)
        html.append("<ol id=\"move-list\" class=\"move-list\"")
        appendSwap(oob, to: &html)
        html.append(">")
        for move in game.moves { appendMoveItem(move, to: &html) }
        html.append("</ol>")
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
        Self.appendNotation(point, boardSize: game.board.size, to: &html)
    }

    /// `Point.notation` ("h8": the column's letter, a to s without a gap, and the row counted from the
    /// bottom) written straight into the buffer: a String per cell was a tenth of the board's render.
    static func appendNotation(_ point: Point, boardSize: Int, to html: inout HTMLBuffer) {
        html.append(ascii: UInt8(ascii: "a") + UInt8(truncatingIfNeeded: point.col))
        html.append(boardSize - point.row)
    }

    private func appendStatus(to html: inout HTMLBuffer, oob: Bool) {
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
    }

    private func appendMoveItem(_ move: Move, to html: inout HTMLBuffer) {
        html.append(move.stone == .black ? "<li class=\"black\">" : "<li class=\"white\">")
        appendNotation(move.point, to: &html)
        html.append("</li>")
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
