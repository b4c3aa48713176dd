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

    /// `#board`, the status line and the move list, each with `hx-swap-oob` when `oob`: what a move
    /// publishes to every page of the game and answers to the mover (with `HX-Reswap: none`).
    func render(oob: Bool, closingForm: Bool = false) -> String {
        let swap = oob ? " hx-swap-oob=\"true\"" : ""
        let size = game.board.size
        let over = game.status.isOver
        let turn = over ? "over" : game.toMove.rawValue
        var html = ""
        html.reserveCapacity(size * size * 64 + 2048)
        html += "<div id=\"board\" class=\"board board-\(size)\" data-turn=\"\(turn)\" data-move=\"\(game.moveNumber)\"\(swap)>"
        html += "<input type=\"hidden\" name=\"move\" value=\"\(game.moveNumber)\"><div class=\"board-grid\">"
        let last = game.lastMove?.point
        let winning = Set(game.winningLine)
        var forbidden: [Point: ForbiddenReason] = [:]
        if !over, game.toMove == .black, game.ruleset.hasForbiddenMoves {
            for entry in game.forbiddenPoints() { forbidden[entry.point] = entry.reason }
        }
        for row in 0..<size {
            for col in 0..<size {
                let point = Point(row: row, col: col)
                let name = point.notation(boardSize: size) ?? ""
                if let stone = game.board[point] {
                    var classes = "cell \(stone.rawValue)"
                    if point == last { classes += " last" }
                    if winning.contains(point) { classes += " win" }
                    html += "<span class=\"\(classes)\" role=\"img\" aria-label=\"\(name) \(stone.rawValue)\"></span>"
                } else if over {
                    html += "<span class=\"cell\"></span>"
                } else if let reason = forbidden[point] {
                    html += "<button class=\"cell forbidden\" name=\"at\" value=\"\(row),\(col)\" title=\"Forbidden for Black: \(reason.rawValue)\" aria-label=\"\(name), forbidden for Black\"></button>"
                } else {
                    html += "<button class=\"cell\" name=\"at\" value=\"\(row),\(col)\" aria-label=\"\(name)\"></button>"
                }
            }
        }
        html += "</div></div>"
        if closingForm { html += "</form>" }
        html += "<p id=\"game-status\" class=\"game-status\"\(swap)>\(statusText.htmlEscaped)</p>"
        // A live region that stays in the page (only its text is swapped), so screen readers announce each move.
        if oob {
            html += "<p id=\"move-announcer\" hx-swap-oob=\"innerHTML\">\(announcement.htmlEscaped)</p>"
        } else {
            html += "<p id=\"move-announcer\" class=\"visually-hidden\" aria-live=\"polite\" aria-atomic=\"true\"></p>"
        }
        html += "<ol id=\"move-list\" class=\"move-list\"\(swap)>"
        for move in game.moves {
            html += "<li class=\"\(move.stone.rawValue)\">\(move.point.notation(boardSize: size) ?? "")</li>"
        }
        html += "</ol>"
        return html
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
