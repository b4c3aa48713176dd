import Domain
import Foundation
import GRDB
import Platform
import Store

/// Games, challenges and friends over the API: the same services the pages call, so every change is
/// pushed to the browsers exactly as when it is made on a page.
extension App {
    /// Longest wait of a long-poll, in seconds (below common proxy timeouts of 30–60 s).
    static let longPollLimit = 25

    func apiGames(_ context: APIContext) throws -> Response {
        let query = try GameListQuery(context.request.query)
        let page = query.page
        let (games, total) = try store.games(query.filter, limit: Self.gamesPerPage, offset: (page - 1) * Self.gamesPerPage)
        return .json(GameListJSON(games: games.map { GameSummaryJSON($0) }, page: page,
                                  pages: max(1, (total + Self.gamesPerPage - 1) / Self.gamesPerPage), total: total))
    }

    /// A game; with `after_move=N&wait=S`, a long-poll that answers as soon as the game has more than
    /// N moves or is over, or after S seconds (≤ 25) with the game as it is.
    func apiGame(_ context: APIContext, id: Int64) throws -> Response {
        let query = context.request.query
        var afterMove: Int?
        if let text = query.value("after_move") {
            guard let value = Int(text), value >= 0 else { throw APIError(.badRequest, "after_move is a whole number.", fields: ["after_move": "≥ 0"]) }
            afterMove = value
        }
        var wait = 0
        if let text = query.value("wait") {
            guard let value = Int(text), (0...Self.longPollLimit).contains(value) else {
                throw APIError(.badRequest, "wait is 0 to \(Self.longPollLimit) seconds.", fields: ["wait": "0 to \(Self.longPollLimit)"])
            }
            wait = value
        }
        let deadline = Date().addingTimeInterval(Double(min(wait, config.longPollMax)))
        while true {
            let (record, game) = try loadGame(id)
            let changed = afterMove.map { game.moves.count > $0 || game.status.isOver } ?? true
            if changed || Date() >= deadline || !longPolls.mayWait() {
                return .json(GameJSON(record: record, game: game, viewer: context.user))
            }
            // A primary-key read every 25 ms: cheap for SQLite, and a move is seen within a frame.
            longPolls.sleep(milliseconds: 25)
        }
    }

    private func loadGame(_ id: Int64) throws -> (GameRecord, Game) {
        try store.read { db in
            guard let record = try Store.game(db, id: id) else { throw APIError(.notFound, "There is no game \(id).") }
            return (record, try replays.game(db, record))
        }
    }

    private struct MoveBody: Decodable {
        let row: Int
        let col: Int
        let move_number: Int?
    }

    func apiMove(_ context: APIContext, id: Int64) throws -> Response {
        let user = try context.requireUser()
        let body = try context.request.decodeJSON(MoveBody.self)
        if let number = body.move_number, number < 1 {
            throw APIError(.unprocessableContent, "move_number starts at 1.", fields: ["move_number": "≥ 1"])
        }
        guard (0..<19).contains(body.row), (0..<19).contains(body.col) else {
            var fields: [String: String] = [:]
            if !(0..<19).contains(body.row) { fields["row"] = "0 to the board size − 1" }
            if !(0..<19).contains(body.col) { fields["col"] = "0 to the board size − 1" }
            throw APIError(.unprocessableContent, "That point is off the board.", fields: fields)
        }
        let (record, game, _) = try playMove(user, gameID: id, at: Point(row: body.row, col: body.col), expectedMoveNumber: body.move_number)
        return .json(GameJSON(record: record, game: game, viewer: user))
    }

    func apiResign(_ context: APIContext, id: Int64) throws -> Response {
        let user = try context.requireUser()
        let (record, game, _) = try resignGame(user, gameID: id)
        return .json(GameJSON(record: record, game: game, viewer: user))
    }

    // MARK: Challenges

    private func challengeJSON(_ challenge: Challenge) -> ChallengeJSON {
        ChallengeJSON(id: challenge.id,
                      from: PlayerRefJSON(id: challenge.fromID, username: challenge.fromUsername, display_name: challenge.fromName),
                      to: PlayerRefJSON(id: challenge.toID, username: challenge.toUsername, display_name: challenge.toName),
                      ruleset: challenge.ruleset, size: challenge.boardSize, colour: challenge.colour, status: challenge.status,
                      game_id: challenge.gameID, created_at: challenge.createdAt, expires_at: challenge.expiresAt)
    }

    private struct ChallengeLists: Encodable {
        let received: [ChallengeJSON]
        let sent: [ChallengeJSON]
    }

    func apiChallenges(_ context: APIContext) throws -> Response {
        let user = try context.requireUser()
        let (received, sent) = try store.read { db in try Store.openChallenges(db, of: user.id) }
        return .json(ChallengeLists(received: received.map(challengeJSON), sent: sent.map(challengeJSON)))
    }

    private struct ChallengeBody: Decodable {
        let opponent: String
        let ruleset: String?
        let size: Int?
        let colour: String?
    }

    func apiCreateChallenge(_ context: APIContext) throws -> Response {
        let user = try context.requireUser()
        let body = try context.request.decodeJSON(ChallengeBody.self)
        let challenge = try sendChallenge(from: user, opponent: body.opponent, ruleset: body.ruleset ?? "freestyle",
                                          size: String(body.size ?? 15), colour: body.colour ?? "random")
        return .json(challengeJSON(challenge), status: .created)
    }

    private struct AnswerBody: Decodable {
        let answer: String
    }

    private struct ChallengeAnswerJSON: Encodable {
        let challenge: ChallengeJSON
        let game_id: Int64?
    }

    func apiRespondChallenge(_ context: APIContext, id: Int64) throws -> Response {
        let user = try context.requireUser()
        let body = try context.request.decodeJSON(AnswerBody.self)
        guard ["accept", "decline", "cancel"].contains(body.answer) else {
            throw APIError(.unprocessableContent, "Answer accept, decline or cancel.", fields: ["answer": "accept, decline or cancel"])
        }
        let gameID = try answerChallenge(user, id: id, answer: body.answer)
        guard let challenge = try store.read({ db in try Store.challenge(db, id: id) }) else {
            throw APIError(.notFound, "There is no such challenge.")
        }
        return .json(ChallengeAnswerJSON(challenge: challengeJSON(challenge), game_id: gameID))
    }

    // MARK: Friends

    private struct FriendLists: Encodable {
        let friends: [FriendJSON]
        let incoming: [FriendJSON]
        let outgoing: [FriendJSON]
    }

    private func friendJSON(_ db: Database, _ friendship: Friendship) throws -> FriendJSON {
        FriendJSON(id: friendship.id,
                   user: PlayerRefJSON(id: friendship.other.id, username: friendship.other.username, display_name: friendship.other.displayName),
                   status: friendship.status,
                   online: friendship.status == "accepted" ? try Store.isOnline(db, userID: friendship.other.id) : false)
    }

    func apiFriends(_ context: APIContext) throws -> Response {
        let user = try context.requireUser()
        let lists = try store.read { db -> FriendLists in
            let all = try Store.friendships(db, of: user.id)
            return FriendLists(friends: try all.filter { $0.status == "accepted" }.map { try friendJSON(db, $0) },
                               incoming: try all.filter { $0.status == "pending" && !$0.requestedByViewer }.map { try friendJSON(db, $0) },
                               outgoing: try all.filter { $0.status == "pending" && $0.requestedByViewer }.map { try friendJSON(db, $0) })
        }
        return .json(lists)
    }

    private struct FriendBody: Decodable {
        let username: String
    }

    private func friendship(_ id: Int64, of user: User) throws -> FriendJSON {
        try store.read { db in
            guard let found = try Store.friendships(db, of: user.id).first(where: { $0.id == id }) else {
                throw APIError(.notFound, "There is no such friend request.")
            }
            return try friendJSON(db, found)
        }
    }

    func apiRequestFriend(_ context: APIContext) throws -> Response {
        let user = try context.requireUser()
        let body = try context.request.decodeJSON(FriendBody.self)
        let (_, id) = try sendFriendRequest(from: user, to: body.username)
        return .json(try friendship(id, of: user), status: .created)
    }

    func apiRespondFriend(_ context: APIContext, id: Int64) throws -> Response {
        let user = try context.requireUser()
        let body = try context.request.decodeJSON(AnswerBody.self)
        guard body.answer == "accept" || body.answer == "decline" else {
            throw APIError(.unprocessableContent, "Answer accept or decline.", fields: ["answer": "accept or decline"])
        }
        try answerFriendRequest(user, id: id, accept: body.answer == "accept")
        return .json(try friendship(id, of: user))
    }

    func apiRemoveFriend(_ context: APIContext, id: Int64) throws -> Response {
        try removeFriend(try context.requireUser(), id: id)
        return Response(status: .noContent, headers: [], body: [])
    }
}

/// Bounds how many requests of this process may sit in a long-poll at once, so waiting clients never
/// take every FastCGI thread: past the limit a long-poll answers at once (the client simply asks again).
final class LongPollGate: @unchecked Sendable {
    private let lock = NSLock()
    private var waiting = 0
    private var limit: Int

    init(limit: Int) { self.limit = limit }

    /// A FastCGI worker keeps half its threads for ordinary requests.
    func setLimit(_ limit: Int) { lock.withLock { self.limit = max(0, limit) } }

    /// Whether one more wait step is allowed now.
    func mayWait() -> Bool { lock.withLock { waiting < limit } }

    func sleep(milliseconds: Int) {
        lock.withLock { waiting += 1 }
        defer { lock.withLock { waiting -= 1 } }
        usleep(UInt32(milliseconds * 1000))
    }
}
