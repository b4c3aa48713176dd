import Domain
import Store

/// The school's HTML that is built in Swift: the exercise board (one button per empty point, like the
/// game board) and the pieces of the chat that are pushed as they are composed.
enum LessonViews {
    /// The exercise's position as a board whose empty points answer the question when clicked.
    static func exerciseBoard(_ exercise: Exercise) -> String {
        let board = exercise.board
        let size = board.size
        var html = "<div class=\"board board-\(size) exercise-board\"><div class=\"turn\" data-turn=\"\(exercise.side.rawValue)\"></div><div class=\"board-grid\">"
        html.reserveCapacity(size * size * 80)
        for row in 0..<size {
            for col in 0..<size {
                let point = Point(row: row, col: col)
                let name = point.notation(boardSize: size) ?? ""
                if let stone = board[point] {
                    html += "<span class=\"cell \(stone.rawValue)\" role=\"img\" aria-label=\"\(name) \(stone.rawValue)\"></span>"
                } else {
                    html += "<button class=\"cell\" name=\"message\" value=\"\(name)\" aria-label=\"\(name)\"></button>"
                }
            }
        }
        return html + "</div></div>"
    }

    /// A line of the chat, appended to `#chat-history` when pushed.
    static func chatLine(id: Int64, role: String, body: String, appended: Bool) -> String {
        let line = "<div class=\"chat-line chat-\(role)\" id=\"chat-\(id)\"><span class=\"chat-who\">\(role == "tutor" ? "Tutor" : "You")</span>"
            + "<div class=\"chat-body\" id=\"chat-\(id)-body\">\(body)</div></div>"
        return appended ? "<div id=\"chat-history\" hx-swap-oob=\"beforeend\">\(line)</div>" : line
    }

    /// More of a tutor reply, appended to its message while it is being composed.
    static func chatContinuation(id: Int64, body: String) -> String {
        "<div id=\"chat-\(id)-body\" hx-swap-oob=\"beforeend\">\(body)</div>"
    }

    static func paragraph(_ text: String) -> String { "<p>\(text.htmlEscaped)</p>" }
}
