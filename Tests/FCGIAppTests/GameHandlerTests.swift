import Foundation
import GRDB
import Platform
import Testing
@testable import FCGIApp
@testable import Store

/// Moves through the whole stack: checked, stored and published in one transaction.
@Suite struct GameHandlerTests {
    /// Alice (Black) and Bob (White) in game 1, Carol watching.
    func setUp() throws -> (TestApp, black: String, white: String, spectator: String) {
        let t = try TestApp()
        _ = try t.app.store.seedDemo(users: 2, games: 1, password: "unused-password", passwordHash: "x")
        try t.createUser("carol")
        return (t, try t.sessionCookie("player1"), try t.sessionCookie("player2"), try t.sessionCookie("carol"))
    }

    func move(_ t: TestApp, _ cookie: String, _ at: String, number: Int? = nil, htmx: Bool = true) -> Response {
        var form = [("at", at)]
        if let number { form.append(("move", String(number))) }
        return t.post("/games/1/move/", form: form, headers: ["Cookie": cookie] .merging(htmx ? ["HX-Request": "true"] : [:]) { $1 })
    }

    func notifications(_ t: TestApp) throws -> [Outbox.Notification] { try t.app.store.notifications(after: 0).filter { $0.topic == "game:1" } }

    @Test func routesParseGameIDs() {
        #expect(Route.match("/games/12/") == .game(12))
        #expect(Route.match("/games/12/move/") == .gameMove(12))
        #expect(Route.match("/games/12/resign/") == .gameResign(12))
        for bad in ["/games/12", "/games/012/", "/games/0/", "/games/-1/", "/games/x/", "/games/12/undo/", "/games/99999999999999999999/"] {
            #expect(Route.match(bad) == nil, "\(bad)")
        }
        #expect(Route.game(7).path == "/games/7/")
    }

    @Test func thePageShowsTheBoardTheLiveSubscriptionAndWhoYouAre() throws {
        let (t, black, _, spectator) = try setUp()
        let page = t.get("/games/1/", headers: ["Cookie": black])
        #expect(page.status == .ok)
        #expect(page.text.contains(#"<section class="game" data-you="black">"#))
        #expect(page.text.contains(#"ws-connect="/ws/?t="#) && page.text.contains(#"<meta name="csrf-token""#))
        #expect(page.text.components(separatedBy: #"class="cell" name="at""#).count - 1 == 225)
        #expect(page.text.contains(#"<div id="turn" class="turn" data-turn="black" data-move="1">"#))
        #expect(page.text.contains(#"name="csrf_token""#), "the form works without JavaScript")
        #expect(page.text.contains("Resign"))
        let watching = t.get("/games/1/", headers: ["Cookie": spectator])
        #expect(watching.text.contains(#"data-you="spectator""#) && !watching.text.contains(">Resign<"))
        #expect(t.get("/games/9/", headers: ["Cookie": black]).status == .notFound)
        let anonymous = t.get("/games/1/")
        #expect(anonymous.status == .seeOther && anonymous.header("Location") == "/accounts/login/?next=/games/1/")
    }

    @Test func aMoveIsStoredPublishedAndAnsweredWithTheFragments() throws {
        let (t, black, white, _) = try setUp()
        let answer = move(t, black, "7,7", number: 1)
        #expect(answer.status == .ok && answer.header("HX-Reswap") == "none")
        // Only what changed: whose turn, the new stone, the status line, the announcement and the move list.
        #expect(answer.text.hasPrefix(#"<div id="turn" class="turn" data-turn="white" data-move="2" hx-swap-oob="true">"#))
        #expect(answer.text.contains(#"<span id="p-7-7" class="cell black last" role="img" aria-label="h8 black" hx-swap-oob="true"></span>"#))
        #expect(!answer.text.contains(#"id="board""#) && answer.text.utf8.count < 1_000)
        #expect(!answer.text.contains("csrf_token"), "a pushed fragment carries nobody's token")
        #expect(!answer.text.contains("move-list"), "the mover's page gets the new list item with the push")
        let pushed = try notifications(t)
        #expect(pushed.count == 1 && pushed[0].html == answer.text + #"<ol hx-swap-oob="beforeend:#move-list"><li class="black">h8</li></ol>"#)
        let plain = move(t, white, "7,8", number: 2, htmx: false)
        #expect(plain.status == .seeOther && plain.header("Location") == "/games/1/")
        // The previous stone loses its last-move mark in the next push.
        let second = try #require(try notifications(t).last)
        #expect(second.html.contains(#"<span id="p-7-8" class="cell white last""#))
        #expect(second.html.contains(#"<span id="p-7-7" class="cell black" role="img" aria-label="h8 black" hx-swap-oob="true"></span>"#))
        let stored = try t.app.store.read { db in try Store.moves(db, gameID: 1) }
        #expect(stored == [StoredMove(number: 1, row: 7, col: 7), StoredMove(number: 2, row: 7, col: 8)])
    }

    @Test func refusedMovesSayWhyAndChangeNothing() throws {
        let (t, black, white, spectator) = try setUp()
        _ = move(t, black, "7,7", number: 1)
        let cases: [(Response, HTTPStatus, String)] = [
            (move(t, black, "6,6"), .conflict, "It is White's turn, not yours."),
            (move(t, white, "7,7"), .unprocessableContent, "There is already a stone on that point."),
            (move(t, white, "6,6", number: 1), .conflict, "This position has changed"),
            (move(t, white, "15,3"), .unprocessableContent, "off the 15×15 board"),
            (move(t, spectator, "6,6"), .forbidden, "only its players can move"),
            (move(t, white, "x"), .badRequest, "Choose a point on the board"),
        ]
        for (response, status, message) in cases {
            #expect(response.status == status, "\(message)")
            #expect(response.text.replacingOccurrences(of: "&#39;", with: "'").contains(message), "\(response.text)")
            #expect(response.header("HX-Retarget") == "#messages")
        }
        #expect(try notifications(t).count == 1, "refused moves publish nothing")
        #expect(try t.app.store.read { db in try Store.moves(db, gameID: 1) }.count == 1)
    }

    @Test func fiveInARowFinishesTheGame() throws {
        let (t, black, white, _) = try setUp()
        for index in 0..<4 {
            _ = move(t, black, "7,\(index)")
            _ = move(t, white, "8,\(index)")
        }
        let winning = move(t, black, "7,4")
        #expect(winning.text.contains(#"data-turn="over""#) && winning.text.contains("Black (Player 1) won with five in a row."))
        #expect(winning.text.components(separatedBy: " win\"").count - 1 == 5)
        #expect(move(t, white, "9,9").status == .conflict)
        let record = try t.app.store.read { db in try Store.game(db, id: 1) }
        #expect(record?.status == "finished" && record?.result == "black:five" && record?.moveCount == 9)
    }

    @Test func aBoardIsRenderedOncePerStateOfItsGameRowAndKeptWithinCapacity() throws {
        let t = try TestApp()
        _ = try t.app.store.seedDemo(users: 6, games: 3, password: "unused-password", passwordHash: "x")
        let black = try t.sessionCookie("player1")
        let boards = RenderMemo<Int64, GameRecord>(capacity: 2)
        func record(_ id: Int64) throws -> GameRecord { try #require(try t.app.store.read { db in try Store.game(db, id: id) }) }
        var renders = 0
        let before = try record(1)
        #expect(boards.html(for: 1, from: before) { renders += 1; return "at 0" } == "at 0")
        #expect(boards.html(for: 1, from: before) { renders += 1; return "again" } == "at 0" && renders == 1)
        #expect(move(t, black, "7,7").status == .ok)
        let after = try record(1)
        #expect(boards.html(for: 1, from: after) { renders += 1; return "at 1" } == "at 1" && renders == 2, "a move changes the row")
        // Two boards fit; a third game's board clears them rather than growing past the capacity.
        _ = boards.html(for: 2, from: try record(2)) { "game 2" }
        _ = boards.html(for: 3, from: try record(3)) { "game 3" }
        #expect(boards.html(for: 1, from: after) { renders += 1; return "at 1, again" } == "at 1, again" && renders == 3)
    }

    @Test func aKeptPageIsSplicedWithEachRequestsValuesEscapedAndRenderedAgainForNewInput() throws {
        let pages = PageMemo<Int, String>(capacity: 2)
        var renders = 0
        func render(_ viewer: PageMemo<Int, String>.Viewer) -> String {
            renders += 1
            return "<p title=\"\(viewer.csrfToken)\">\(viewer.displayName) (\(viewer.username))</p><a href=\"\(viewer.liveURL)\">\(renders)</a>"
        }
        func viewer(_ name: String) -> PageMemo<Int, String>.Viewer {
            .init(csrfToken: "token-" + name, liveURL: "/ws/?t=\(name)&last=1", username: name, displayName: name.capitalized)
        }
        func page(_ key: Int, _ input: String, _ who: PageMemo<Int, String>.Viewer, signedIn: Bool = true) -> String {
            String(decoding: pages.page(for: key, from: input, viewer: who, signedIn: signedIn, render: render), as: UTF8.self)
        }
        #expect(page(1, "state 1", viewer("ann")) == #"<p title="token-ann">Ann (ann)</p><a href="/ws/?t=ann&amp;last=1">1</a>"#)
        #expect(page(1, "state 1", viewer("bo")) == #"<p title="token-bo">Bo (bo)</p><a href="/ws/?t=bo&amp;last=1">1</a>"#)
        let odd = PageMemo<Int, String>.Viewer(csrfToken: "t", liveURL: "u", username: "hole0x1", displayName: #"<b>"Q" & 'R'</b>"#)
        #expect(page(1, "state 1", odd) == #"<p title="t">&lt;b&gt;&quot;Q&quot; &amp; &#39;R&#39;&lt;/b&gt; (hole0x1)</p><a href="u">1</a>"#)
        #expect(renders == 1)
        #expect(page(1, "state 2", viewer("ann")).hasSuffix(">2</a>"), "a new input renders the page again")
        #expect(page(1, "state 2", viewer("ann"), signedIn: false).hasSuffix(">3</a>"), "so does a viewer signed in differently")
        _ = page(2, "x", viewer("ann"))
        _ = page(3, "x", viewer("ann"))
        #expect(page(1, "state 2", viewer("ann"), signedIn: false).hasSuffix(">6</a>"), "kept within the capacity")
    }

    @Test func viewersOfAGameShareItsPageButEachGetsTheirOwnTokensAndName() throws {
        let (t, black, white, carol) = try setUp()
        _ = try t.app.store.createUser(username: "dan", email: "dan@example.org", displayName: #"Dan <&> "Q""#, passwordHash: "x")
        let dan = try t.sessionCookie("dan")
        func page(_ cookie: String) -> String { t.get("/games/1/", headers: ["Cookie": cookie]).text }
        /// Every CSRF token in the page (head, htmx headers, sign-out, board and resign forms) and the user
        /// its live subscription is for.
        func viewer(_ html: String) throws -> (tokens: Set<String>, count: Int, userID: Int64?) {
            let tokens = html.matches(of: /(?:name="csrf_token" value=|content=|"X-CSRF-Token":)"([A-Za-z0-9_-]{20,})"/).map { String($0.output.1) }
            let url = try #require(html.firstMatch(of: /ws-connect="\/ws\/\?t=([^&"]+)&amp;last=\d+"/))
            return (Set(tokens), tokens.count, try SubscriptionToken.verify(String(url.output.1), secret: t.app.config.secret).userID)
        }
        let carols = page(carol), dans = page(dan)
        #expect(carols.contains("Signed in as <strong>Carol</strong>") && dans.contains("Signed in as <strong>Dan &lt;&amp;&gt; &quot;Q&quot;</strong>"))
        #expect(!dans.contains("Carol</strong>"))
        let (carolTokens, carolCount, carolID) = try viewer(carols), (danTokens, danCount, danID) = try viewer(dans)
        #expect(carolTokens.count == 1 && danTokens.count == 1 && carolTokens != danTokens && carolCount == 4 && danCount == 4)
        let carolUser = try t.app.store.user(username: "carol"), danUser = try t.app.store.user(username: "dan")
        #expect(carolID == carolUser?.id && danID == danUser?.id)
        // The players see their own forms; a spectator's page after theirs is still a spectator's.
        let blacks = page(black)
        let blackTokens = try viewer(blacks)
        #expect(blacks.contains(#"data-you="black""#) && blacks.contains(">Resign<") && blackTokens.count == 5 && blackTokens.tokens.count == 1)
        #expect(page(white).contains(#"data-you="white""#) && page(carol).contains(#"data-you="spectator""#))
        // What changes the game or who is here shows on the next request.
        #expect(move(t, black, "7,7", number: 1).status == .ok)
        #expect(page(dan).contains(#"<span id="p-7-7" class="cell black last""#) && page(carol).contains("White (Player 2) to play · move 2"))
        try t.listen(["game:1"], as: "dan")
        #expect(page(carol).contains(#"title="@dan"><span class="presence-dot" aria-hidden="true"></span>Dan &lt;&amp;&gt; &quot;Q&quot;</li>"#))
    }

    @Test func aRequestThreadKeepsWhatAPageReadsOnlyUntilTheNextCommit() throws {
        let (t, black, _, carol) = try setUp()
        let thread = try t.requestThread(), other = try t.worker()
        func carolsPage() -> Response { thread.get("/games/1/", headers: ["Cookie": carol]) }
        #expect(carolsPage().text.contains("Black (Player 1) to play · move 1"))
        #expect(carolsPage().text.contains("Black (Player 1) to play · move 1"), "kept: nothing was committed")
        // Another worker's move, and who is here, are on the next page.
        #expect(move(other, black, "7,7", number: 1).status == .ok)
        let afterMove = carolsPage().text
        #expect(afterMove.contains("White (Player 2) to play · move 2") && afterMove.contains(#"<span id="p-7-7" class="cell black"#))
        try t.listen(["game:1"], as: "player2")
        #expect(carolsPage().text.contains(#"title="@player2""#))
        // Signing out elsewhere ends the session on this thread at once.
        #expect(other.post("/accounts/logout/", headers: ["Cookie": carol]).status == .seeOther)
        let signedOut = carolsPage()
        #expect(signedOut.status == .seeOther && signedOut.header("Location")?.hasPrefix("/accounts/login/") == true)
    }

    @Test func aSubscriptionTokenIsSignedOncePerViewerTopicsAndMinute() throws {
        let secret = Array("subscription secret".utf8)
        let signer = SubscriptionSigner(secret: secret)
        let minute: Int64 = 1_800_000_000  // a whole minute
        let token = signer.token(userID: 1, topics: ["game:1", "user:1"], now: minute + 1)
        #expect(signer.token(userID: 1, topics: ["game:1", "user:1"], now: minute + 59) == token)
        #expect(signer.token(userID: 1, topics: ["game:1", "user:1"], now: minute + 61) != token)
        #expect(signer.token(userID: 2, topics: ["game:1", "user:1"], now: minute + 1) != token)
        #expect(signer.token(userID: nil, topics: ["game:1"], now: minute + 1) != signer.token(userID: nil, topics: ["game:2"], now: minute + 1))
        let claims = try SubscriptionToken.verify(token, secret: secret, now: minute)
        #expect(claims == SubscriptionToken(userID: 1, topics: ["game:1", "user:1"], expires: minute + SubscriptionSigner.lifetime + 60))
    }

    @Test func eachWorkerReplaysTheMovesTheOtherMadeMeanwhile() throws {
        let (first, black, white, _) = try setUp()
        let second = try first.worker()
        // Each worker keeps the game as it last replayed it; the other worker's moves come after that.
        #expect(move(first, black, "7,7", number: 1).status == .ok)
        #expect(move(second, white, "7,8", number: 2).status == .ok)
        // Each worker renders (and keeps) the page's board at move 2; the moves after it must show.
        for worker in [first, second] {
            #expect(worker.get("/games/1/", headers: ["Cookie": white]).text.contains("Black (Player 1) to play · move 3"))
        }
        #expect(move(first, black, "6,6", number: 3).status == .ok)
        #expect(move(second, white, "6,7", number: 4).status == .ok)
        #expect(move(first, white, "0,0", number: 4).status == .conflict, "the first worker knows move 4 was made")
        #expect(move(first, black, "7,7", number: 5).status == .unprocessableContent, "and where its stones are")
        for worker in [first, second] {
            let page = worker.get("/games/1/", headers: ["Cookie": black]).text
            for (id, colour) in [("p-7-7", "black"), ("p-7-8", "white"), ("p-6-6", "black"), ("p-6-7", "white last")] {
                #expect(page.contains(#"<span id="\#(id)" class="cell \#(colour)""#), "\(id)")
            }
            #expect(page.contains("Black (Player 1) to play · move 5"))
        }
        #expect(second.post("/games/1/resign/", headers: ["Cookie": black, "HX-Request": "true"]).status == .ok)
        #expect(first.get("/games/1/", headers: ["Cookie": white]).text.contains("Black (Player 1) resigned; White (Player 2) wins."),
                "a resignation is read from the game, not from the replayed moves")
        #expect(move(first, black, "0,0", number: 5).status == .conflict)
    }

    @Test func resigningEndsTheGameForBothPages() throws {
        let (t, black, white, spectator) = try setUp()
        #expect(t.post("/games/1/resign/", headers: ["Cookie": spectator, "HX-Request": "true"]).status == .forbidden)
        let resigned = t.post("/games/1/resign/", headers: ["Cookie": white, "HX-Request": "true"])
        #expect(resigned.status == .ok && resigned.text.contains("White (Player 2) resigned; Black (Player 1) wins."))
        #expect(try t.app.store.read { db in try Store.game(db, id: 1) }?.result == "black:resign")
        let page = t.get("/games/1/", headers: ["Cookie": black])
        #expect(page.text.contains("resigned") && !page.text.contains(">Resign<"))
        #expect(move(t, black, "7,7").status == .conflict)
    }
}

@Suite struct GameListTests {
    @Test func filtersAndPagesLiveInTheURL() throws {
        let t = try TestApp()
        _ = try t.app.store.seedDemo(users: 50, games: 25, password: "unused-password", passwordHash: "x")
        try t.app.store.write { db in
            try db.execute(sql: "UPDATE games SET ruleset = 'renju' WHERE id <= 3")
            try db.execute(sql: "UPDATE games SET status = 'finished', result = 'black:five' WHERE id = 1")
        }
        let first = t.get("/games/")
        #expect(first.status == .ok && first.header("Vary") == "HX-Request")
        #expect(first.text.contains("24 game(s) · page 1 of 2"), "active games by default")
        #expect(first.text.contains(#"href="/games/?status=active&amp;ruleset=any&amp;page=2""#))
        let fragment = t.get("/games/?status=active&ruleset=any&page=2", headers: ["HX-Request": "true"])
        #expect(fragment.text.hasPrefix(#"<div id="games-results""#) && fragment.text.contains("page 2 of 2"))
        let renju = t.get("/games/?status=all&ruleset=renju")
        #expect(renju.text.contains("3 game(s)") && renju.text.contains("Player 1 won"))
        let player = t.get("/games/?status=all&ruleset=any&player=player50")
        #expect(player.text.contains("with “player50”") && player.text.contains("1 game(s)"))
        #expect(t.get("/games/?status=all&player=%25").text.contains("0 game(s)"), "a % matches itself, not everything")
        for bad in ["?status=won", "?ruleset=chess", "?page=0", "?page=x", "?player=" + String(repeating: "a", count: 41)] {
            #expect(t.get("/games/" + bad).status == .badRequest, "\(bad)")
        }
    }

    @Test func movesAndNewGamesArePushedToEveryOpenList() throws {
        let (t, black, _, _) = try GameHandlerTests().setUp()
        let page = t.get("/games/")
        #expect(page.text.contains(#"<tr id="game-row-1">"#) && page.text.contains(#"<p id="games-news""#))
        #expect(page.text.contains("ws-connect="), "the list listens for changes")
        try t.listen(["games"])
        let before = try t.app.store.latestNotificationID()
        #expect(GameHandlerTests().move(t, black, "7,7").status == .ok)
        let rows = try t.app.store.notifications(after: before).filter { $0.topic == "games" }
        #expect(rows.count == 1)
        #expect(rows.first?.html.hasPrefix(#"<tr id="game-row-1" hx-swap-oob="true">"#) == true)
        #expect(rows.first?.html.contains("<td>1</td><td>White to play</td>") == true)
    }

    @Test func panelsNoPageListensToAreNotRenderedButMarkedForReload() throws {
        let games = GameHandlerTests()
        let (t, black, white, _) = try games.setUp()
        let (blackID, whiteID) = (try t.app.store.user(username: "player1")!.id, try t.app.store.user(username: "player2")!.id)
        var before = try t.app.store.latestNotificationID()
        #expect(games.move(t, black, "7,7").status == .ok)
        var pushed = try t.app.store.notifications(after: before)
        #expect(pushed.first { $0.topic == "game:1" }?.html.contains(#"id="p-7-7""#) == true, "the game itself always")
        for topic in ["games", "dashboard:\(blackID)", "dashboard:\(whiteID)"] {
            #expect(pushed.filter { $0.topic == topic }.map(\.html) == [#"<div id="live-reload" hx-swap-oob="true" hidden></div>"#],
                    "\(topic): nobody listens, so a page that connects meanwhile reloads instead")
        }

        try t.listen(["user:\(blackID)", "dashboard:\(blackID)"], as: "player1")
        before = try t.app.store.latestNotificationID()
        #expect(games.move(t, white, "7,8").status == .ok)
        pushed = try t.app.store.notifications(after: before)
        let panel = pushed.first { $0.topic == "dashboard:\(blackID)" }
        #expect(panel?.userID == blackID && panel?.html.hasPrefix(#"<div id="dashboard-games" class="panel" hx-swap-oob="true">"#) == true)
        #expect(panel?.html.contains("#1 against Player 2") == true, "Black's open dashboard is told it is his turn")
        #expect(pushed.first { $0.topic == "dashboard:\(whiteID)" }?.html.contains("live-reload") == true)

        _ = try t.app.store.write { db in try Store.applyPresence(db, event: .leave(connection: "test-page")) }
        before = try t.app.store.latestNotificationID()
        #expect(games.move(t, black, "6,6").status == .ok)
        #expect(try t.app.store.notifications(after: before).first { $0.topic == "dashboard:\(blackID)" }?.html.contains("live-reload") == true,
                "once the page has gone, its panel is no longer rendered")
    }
}

