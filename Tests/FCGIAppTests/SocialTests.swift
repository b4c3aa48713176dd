import Foundation
import GRDB
import Testing
@testable import FCGIApp
@testable import Store

/// Friends and challenges through the whole stack; the other player learns of each step by a
/// notification on their own topic.
@Suite struct SocialTests {
    func setUp() throws -> (TestApp, alice: String, bob: String, carol: String) {
        let t = try TestApp()
        for name in ["alice", "bob", "carol"] { try t.createUser(name) }
        return (t, try t.sessionCookie("alice"), try t.sessionCookie("bob"), try t.sessionCookie("carol"))
    }

    /// Everything pushed to `username` alone, as "topic html".
    func pushed(_ t: TestApp, to username: String) throws -> [String] {
        let id = try t.app.store.user(username: username)!.id
        return try t.app.store.notifications(after: 0).filter { $0.userID == id }.map { "\($0.topic) \($0.html)" }
    }

    @Test func searchRequestAcceptAndRemove() throws {
        let (t, alice, bob, _) = try setUp()
        let search = t.get("/friends/search/?q=b", headers: ["Cookie": alice, "HX-Request": "true"])
        #expect(search.text.contains("@bob") && !search.text.contains("@alice") && search.text.contains("Add friend"))
        #expect(t.get("/friends/search/?q=" + String(repeating: "x", count: 31), headers: ["Cookie": alice]).status == .badRequest)

        let bobID = try t.app.store.user(username: "bob")!.id
        try t.listen(["user:\(bobID)", "friends:\(bobID)", "dashboard:\(bobID)"], as: "bob")
        let asked = t.post("/friends/request/", form: [("username", "bob")], headers: ["Cookie": alice, "HX-Request": "true"])
        #expect(asked.status == .ok && asked.text.contains("Friend request sent to Bob.") && asked.header("HX-Trigger") == #"{"social-changed":null}"#)
        let toBob = try pushed(t, to: "bob")
        #expect(toBob.contains { $0.hasPrefix("user:\(bobID) ") && $0.contains("Alice wants to be your friend.") })
        #expect(toBob.contains { $0.hasPrefix("friends:\(bobID) ") && $0.contains(#"id="friend-lists""#) })
        #expect(toBob.contains { $0.hasPrefix("dashboard:\(bobID) ") && $0.contains(#"id="dashboard-friends""#) })
        #expect(t.post("/friends/request/", form: [("username", "bob")], headers: ["Cookie": alice]).status == .conflict)
        #expect(t.post("/friends/request/", form: [("username", "alice")], headers: ["Cookie": alice]).status == .unprocessableContent)
        #expect(t.post("/friends/request/", form: [("username", "nobody")], headers: ["Cookie": alice]).status == .notFound)

        let id = try t.app.store.read { db in try Int64.fetchOne(db, sql: "SELECT id FROM friendships")! }
        #expect(t.post("/friends/\(id)/respond/", form: [("answer", "accept")], headers: ["Cookie": alice]).status == .conflict,
                "the one who asked cannot answer")
        #expect(t.post("/friends/\(id)/respond/", form: [("answer", "maybe")], headers: ["Cookie": bob]).status == .badRequest)
        let accepted = t.post("/friends/\(id)/respond/", form: [("answer", "accept")], headers: ["Cookie": bob])
        #expect(accepted.status == .seeOther && accepted.header("Location") == "/friends/")
        #expect(try pushed(t, to: "alice").last?.contains("Bob accepted your friend request.") == true)
        #expect(t.get("/friends/", headers: ["Cookie": alice]).text.contains("Challenge</a>"))

        let removed = t.post("/friends/\(id)/remove/", headers: ["Cookie": bob, "HX-Request": "true"])
        #expect(removed.status == .ok)
        #expect(try t.app.store.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM friendships") } == 0)
        #expect(t.get("/friends/").status == .seeOther, "anonymous visitors are sent to sign in")
    }

    @Test func challengesOnlyFriendsAndAcceptingStartsTheGame() throws {
        let (t, alice, bob, carol) = try setUp()
        _ = t.post("/friends/request/", form: [("username", "bob")], headers: ["Cookie": alice])
        _ = t.post("/friends/1/respond/", form: [("answer", "accept")], headers: ["Cookie": bob])
        let terms = [("opponent", "bob"), ("ruleset", "renju"), ("size", "15"), ("colour", "white")]
        #expect(t.post("/challenges/", form: [("opponent", "carol"), ("ruleset", "renju"), ("size", "15"), ("colour", "white")],
                       headers: ["Cookie": alice]).status == .forbidden, "carol is not a friend")
        #expect(t.post("/challenges/", form: [("opponent", "bob"), ("ruleset", "chess"), ("size", "15"), ("colour", "white")],
                       headers: ["Cookie": alice]).status == .unprocessableContent)
        #expect(t.post("/challenges/", form: [("opponent", "bob"), ("ruleset", "renju"), ("size", "17"), ("colour", "white")],
                       headers: ["Cookie": alice]).status == .unprocessableContent)
        #expect(t.post("/challenges/", form: terms, headers: ["Cookie": alice]).status == .seeOther)
        #expect(try pushed(t, to: "bob").last?.contains("Alice challenges you to Renju on 15×15.") == true)
        #expect(t.get("/challenges/", headers: ["Cookie": bob]).text.contains("Renju, 15×15, Alice plays white"))

        #expect(t.post("/challenges/1/respond/", form: [("answer", "accept")], headers: ["Cookie": carol]).status == .notFound)
        #expect(t.post("/challenges/1/respond/", form: [("answer", "accept")], headers: ["Cookie": alice]).status == .forbidden)
        let accepted = t.post("/challenges/1/respond/", form: [("answer", "accept")], headers: ["Cookie": bob, "HX-Request": "true"])
        #expect(accepted.status == .ok && accepted.header("HX-Redirect") == "/games/1/")
        let game = try t.app.store.read { db in try Store.game(db, id: 1) }
        #expect(game?.whiteUsername == "alice" && game?.blackUsername == "bob" && game?.ruleset == "renju")
        #expect(try pushed(t, to: "alice").contains { $0.hasPrefix("user:") && $0.contains(#"<div id="live-navigate" hx-swap-oob="true" data-href="/games/1/" hidden>"#) })
        let dashboard = t.get("/dashboard/", headers: ["Cookie": bob])
        #expect(dashboard.text.contains("#1 against Alice") && dashboard.text.contains("you play black"))
        #expect(dashboard.text.contains("No game is waiting for you.") == false, "Bob is Black: his turn")
        #expect(t.get("/dashboard/", headers: ["Cookie": alice]).text.contains("Waiting for your opponent"))
        let aliceID = try t.app.store.user(username: "alice")!.id
        try t.listen(["dashboard:\(aliceID)"], as: "alice")
        _ = t.post("/games/1/move/", form: [("at", "7,7")], headers: ["Cookie": bob, "HX-Request": "true"])
        #expect(try pushed(t, to: "alice").last.map { $0.hasPrefix("dashboard:") && $0.contains(#"id="dashboard-games""#) && $0.contains("#1 against Bob") } == true,
                "Alice's open dashboard learns it is her turn")
        #expect(t.post("/challenges/1/respond/", form: [("answer", "decline")], headers: ["Cookie": bob]).status == .conflict)
    }

    @Test func theMaintenanceJobExpiresChallengesAndTellsBothPlayers() throws {
        let (t, alice, bob, _) = try setUp()
        let (aliceID, bobID) = (try t.app.store.user(username: "alice")!.id, try t.app.store.user(username: "bob")!.id)
        try t.app.store.write { db in
            let id = try Store.requestFriendship(db, from: aliceID, to: bobID)
            try Store.setFriendshipStatus(db, id: id, status: "accepted")
        }
        let terms = [("opponent", "bob"), ("ruleset", "freestyle"), ("size", "15"), ("colour", "random")]
        #expect(t.post("/challenges/", form: terms, headers: ["Cookie": alice]).status == .seeOther)
        #expect(t.post("/challenges/", form: terms, headers: ["Cookie": alice]).status == .seeOther)
        // The first one's day is over; the second still has time.
        try t.app.store.write { db in try db.execute(sql: "UPDATE challenges SET expires_at = ? WHERE id = 1", arguments: [unixNow() - 1]) }
        try t.app.scheduleRecurringJobs()
        try t.listen(["challenges:\(bobID)"], as: "bob")
        let before = try t.app.store.latestNotificationID()
        try t.runDueJobs()
        let statuses = try t.app.store.read { db in try String.fetchAll(db, sql: "SELECT status FROM challenges ORDER BY id") }
        #expect(statuses == ["expired", "pending"])
        let pushedNow = try t.app.store.notifications(after: before)
        #expect(pushedNow.contains { $0.userID == aliceID && $0.html.contains("Your challenge to Bob expired unanswered.") })
        #expect(pushedNow.contains { $0.topic == "challenges:\(bobID)" && $0.html.contains(#"id="challenge-lists""#) })
        // Bob's dashboard is not open anywhere: it gets the reload marker, not the lists.
        #expect(pushedNow.contains { $0.topic == "dashboard:\(bobID)" && $0.html == Outbox.liveReload() })
        #expect(t.post("/challenges/1/respond/", form: [("answer", "accept")], headers: ["Cookie": bob]).status == .conflict)
        // The job scheduled its next run instead of running again at once.
        let next = try #require(try t.app.store.read { db in try Jobs.activeJob(db, uniqueKey: "maintenance") })
        #expect(next.state == .queued && next.runAfter > unixMillis() + 20_000)
        try t.runDueJobs()
        #expect(try t.app.store.read { db in try String.fetchAll(db, sql: "SELECT status FROM challenges ORDER BY id") } == statuses)
    }
}
