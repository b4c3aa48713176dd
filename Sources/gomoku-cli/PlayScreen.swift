#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// What the play screen reacts to. Keys, the live game and window changes all arrive through one
/// stream, consumed by one loop: the screen's state has a single owner and needs no locks.
enum PlayEvent: Sendable {
    case key(Key)
    case update(Game)
    case connection(problem: String?)
    case resize
}

/// `gomoku-cli play`: the board on the alternate screen, played with the cursor or typed points,
/// following the opponent by long-polling the game.
struct PlayScreen {
    static let longPollSeconds = 25

    let client: APIClient
    let gameId: Int

    func run() async throws {
        guard Terminal.isInteractive else {
            throw CLIError.usage("play needs a terminal; in scripts use `gomoku-cli show` and `gomoku-cli move`")
        }
        // Fetched before the screen switches, so a wrong id or token is reported like any other command's error.
        let initial = try await client.game(gameId)

        let (events, sink) = AsyncStream.makeStream(of: PlayEvent.self)
        let terminal = Terminal.shared
        terminal.restoreOnTerminatingSignals()
        try terminal.enterRaw(alternateScreen: true)
        defer { terminal.restore() }
        terminal.watch(signal: SIGWINCH) { sink.yield(.resize) }
        KeyReader.start { sink.yield(.key($0)) }
        let follower = Task { [client, gameId] in
            await Self.follow(client: client, gameId: gameId, from: initial, into: sink)
        }
        defer { follower.cancel() }

        var state = PlayState(game: initial)
        draw(state)
        for await event in events {
            switch event {
            case let .key(key):
                switch state.handle(key) {
                case .quit: return
                case let .play(point):
                    draw(state)
                    await play(point, state: &state)
                case .none: break
                }
            case let .update(game):
                state.receive(game)
            case let .connection(problem):
                state.connectionProblem = problem
            case .resize:
                Terminal.output(ANSI.clearScreen)
            }
            draw(state)
        }
    }

    private func draw(_ state: PlayState) {
        let size = Terminal.size()
        Terminal.output(PlayView(state: state, width: size.columns).frame)
    }

    /// Sends the move; whatever the server refuses is shown with its own message.
    private func play(_ point: Point, state: inout PlayState) async {
        let name = Notation.name(point, size: state.game.size)
        do {
            let game = try await client.move(game: gameId, row: point.row, col: point.col, moveNumber: state.game.nextMoveNumber)
            state.receive(game)
            state.show(game.isOver ? game.statusText : "You played \(name).", isError: false)
        } catch let error as CLIError {
            // 409: the game moved on (a move from elsewhere) — reload it so the next try uses the right number.
            if error.status == 409, let game = try? await client.game(gameId) { state.receive(game) }
            state.show(error.description, isError: true)
        } catch {
            state.show("\(error)", isError: true)
        }
        state.busy = false
    }

    /// Long-polls the game until it is over (or the screen closes), passing on every answer; the state
    /// keeps only answers newer than what it has, so an answer racing our own move does no harm.
    private static func follow(client: APIClient, gameId: Int, from initial: Game,
                               into sink: AsyncStream<PlayEvent>.Continuation) async {
        var knownMoves = initial.moveCount
        var isOver = initial.isOver
        var failing = false
        while !isOver, !Task.isCancelled {
            do {
                // After a failure, a plain read first, so the "interrupted" line goes as soon as the server is back.
                let game = failing ? try await client.game(gameId)
                                   : try await client.game(gameId, afterMove: knownMoves, wait: longPollSeconds)
                if failing {
                    failing = false
                    sink.yield(.connection(problem: nil))
                }
                knownMoves = max(knownMoves, game.moveCount)
                isOver = game.isOver
                sink.yield(.update(game))
            } catch {
                if Task.isCancelled { return }
                failing = true
                sink.yield(.connection(problem: "Live updates interrupted: \(error). Retrying..."))
                // Network trouble may pass quickly; a refusal (401, 404) will not, so ask less often.
                let pause: Duration = (error as? CLIError)?.status == nil ? .seconds(2) : .seconds(10)
                try? await Task.sleep(for: pause)
            }
        }
    }
}

/// Everything the screen shows, changed only by the event loop.
struct PlayState {
    enum Action { case none, quit, play(Point) }

    private(set) var game: Game
    var cursor: Point
    var typed = ""
    private(set) var message: String
    private(set) var messageIsError = false
    var connectionProblem: String?
    var busy = false

    init(game: Game) {
        self.game = game
        let centre = game.size / 2
        cursor = game.moves.last.map { Point(row: $0.row, col: $0.col) } ?? Point(row: centre, col: centre)
        message = game.isOver ? game.statusText : "Arrows move the cursor, Enter plays there; or type a point like h8 and Enter."
    }

    mutating func show(_ text: String, isError: Bool) {
        message = text
        messageIsError = isError
    }

    /// Takes a game from the server if it is newer than the one shown (more moves, or just finished).
    mutating func receive(_ newer: Game) {
        let isNewer = newer.moveCount > game.moveCount || (newer.moveCount == game.moveCount && newer.isOver && !game.isOver)
        guard isNewer else { return }
        let previousCount = game.moveCount
        game = newer
        if newer.isOver {
            show(newer.statusText, isError: false)
        } else if let last = newer.moves.last, last.number > previousCount, last.stone != newer.yourColour {
            show("\(newer.player(last.stone).displayNameOrUsername) played \(last.notation).", isError: false)
        }
    }

    mutating func handle(_ key: Key) -> Action {
        let size = game.size
        switch key {
        case .up: cursor.row = max(0, cursor.row - 1)
        case .down: cursor.row = min(size - 1, cursor.row + 1)
        case .left: cursor.col = max(0, cursor.col - 1)
        case .right: cursor.col = min(size - 1, cursor.col + 1)
        case .home: cursor.col = 0
        case .end: cursor.col = size - 1
        case .interrupt, .endOfInput: return .quit
        case .escape: typed = ""
        case .backspace: if !typed.isEmpty { typed.removeLast() }
        case let .character(character):
            // Lower-case q quits unless a point is being typed; on 19×19 boards type column q as "Q".
            if typed.isEmpty, character == "q" { return .quit }
            guard character.isLetter || character.isNumber, typed.count < 3 else { break }
            guard !typed.isEmpty || character.isLetter else { break }  // a point starts with its column
            typed.append(character)
            if let point = Notation.parse(typed, size: size) { cursor = point }  // the cursor follows what is typed
        case .enter:
            guard !busy else { break }
            if typed.isEmpty { return startPlaying(cursor) }
            guard let point = Notation.parse(typed, size: size) else {
                show("\(typed) is not a point of this board (\(Notation.range(size: size))).", isError: true)
                return .none
            }
            typed = ""
            return startPlaying(point)
        }
        return .none
    }

    private mutating func startPlaying(_ point: Point) -> Action {
        busy = true
        show("Playing \(Notation.name(point, size: game.size))...", isError: false)
        return .play(point)
    }
}

extension PlayerRef {
    var displayNameOrUsername: String { displayName.isEmpty ? username : displayName }
}

/// Renders the state as one frame of ANSI text (drawn over the previous frame, line by line).
struct PlayView {
    let state: PlayState
    let width: Int

    var frame: String {
        var lines: [String] = []
        let game = state.game
        lines.append(ANSI.bold + "Gomoku - game \(game.id) - \(game.ruleset) \(game.size)x\(game.size) - \(game.moveCount) moves" + ANSI.reset)
        lines.append(playerLine("black", stone: "x"))
        lines.append(playerLine("white", stone: "o"))
        lines.append("")
        lines.append(contentsOf: boardLines)
        lines.append("")
        lines.append(ANSI.bold + turnLine + ANSI.reset)
        if let last = game.moves.last {
            lines.append("Last move: \(last.number). \(last.stone) \(last.notation)")
        } else {
            lines.append("No moves yet.")
        }
        lines.append(state.typed.isEmpty ? "" : "Point: \(state.typed)_")
        lines.append((state.messageIsError ? ANSI.red : "") + state.message + ANSI.reset)
        lines.append(state.connectionProblem.map { ANSI.yellow + $0 + ANSI.reset } ?? "")
        lines.append(ANSI.dim + "Arrows move | Enter plays | type h8 then Enter | Esc clears | q quits" + ANSI.reset)
        return ANSI.home + lines.map { $0 + ANSI.clearToEndOfLine }.joined(separator: "\n") + ANSI.clearToEndOfScreen
    }

    private func playerLine(_ colour: String, stone: String) -> String {
        let game = state.game
        var line = "\(stone) \(colour == "black" ? "Black" : "White"): \(game.player(colour).label)"
        if game.yourColour == colour { line += " (you)" }
        if game.toMove == colour, !game.isOver { line += "  <- to move" }
        return line
    }

    private var turnLine: String {
        let game = state.game
        if game.isOver { return "Game over: \(game.statusText)" }
        guard let mine = game.yourColour else { return game.statusText }  // watching someone else's game
        if game.toMove == mine { return "Your turn (\(mine)), move \(game.nextMoveNumber)." }
        let other = mine == "black" ? "white" : "black"
        return "Waiting for \(game.player(other).displayNameOrUsername) (\(other)) to play move \(game.nextMoveNumber)..."
    }

    /// Same grid as `BoardText` (plain ASCII, so it reads the same in any terminal): cells at odd positions,
    /// separators at even ones. The cursor's separators are "[" "]" (and the cell is reversed); the last
    /// move's are "(" ")" where the cursor leaves them; a winning line is in capitals (and green).
    private var boardLines: [String] {
        let game = state.game
        let size = game.size
        let header = "    " + (0..<size).map { String(Notation.columnLetter($0)) }.joined(separator: " ")
        let last = game.moves.last.map { Point(row: $0.row, col: $0.col) }
        let winning = Set(game.winningLine.map { Point(row: $0.row, col: $0.col) })
        let forbidden = Set(game.forbidden.map { Point(row: $0.row, col: $0.col) })
        var lines = [header]
        for row in 0..<size {
            var separators = [Character](repeating: " ", count: size + 1)
            if let last, last.row == row {
                separators[last.col] = "("
                separators[last.col + 1] = ")"
            }
            if state.cursor.row == row {
                separators[state.cursor.col] = "["
                separators[state.cursor.col + 1] = "]"
            }
            let number = size - row
            var line = (number < 10 ? " \(number)" : "\(number)") + " "
            for col in 0..<size {
                let point = Point(row: row, col: col)
                line.append(separators[col])
                var stone = game.stone(row: row, col: col)
                if winning.contains(point) { stone = Character(stone.uppercased()) }  // visible without colours too
                var style = ""
                if winning.contains(point) { style += ANSI.green + ANSI.bold }
                else if point == last { style += ANSI.yellow + ANSI.bold }
                else if stone == "x" { style += ANSI.bold }
                else if stone == "." && forbidden.contains(point) { style += ANSI.red }
                else if stone == "." { style += ANSI.dim }
                if point == state.cursor { style += ANSI.reverse }
                line += style + String(stone) + (style.isEmpty ? "" : ANSI.reset)
            }
            line.append(separators[size])
            line += " " + (number < 10 ? " \(number)" : "\(number)")
            lines.append(line)
        }
        lines.append(header)
        return lines
    }
}
