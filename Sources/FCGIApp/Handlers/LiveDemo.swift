import Domain
import Foundation
import Platform
import Store

/// The smallest real user of the live path: a shared message board with presence.
/// Messages are sent with ws-send (or a plain form POST without JavaScript); every open page gets
/// the new message pushed, and sees who is on the page.
extension App {
    static let liveDemoTopic = "demo"
    static let liveMessageLimit = 500

    func liveDemo(_ context: RequestContext) throws -> Response {
        guard context.user != nil else { return .redirect(to: Route.login.path + "?next=" + Route.liveDemo.path.urlQueryEncoded, for: context.request) }
        let (messages, present, latest) = try store.read { db in
            (try Store.recentLiveMessages(db), try Store.presentUsers(db, topic: Self.liveDemoTopic), try Outbox.latestID(db))
        }
        return try page("pages/live_demo", context, title: "Live demo", values: [
            "messages": messages.map(messageValues),
            "presence": try presenceFragment(topic: Self.liveDemoTopic, users: present, oob: false),
        ], topics: [Self.liveDemoTopic], latestID: latest)
    }

    func postLiveMessage(_ context: RequestContext) throws -> Response {
        guard let user = context.user else { throw HTTPError(.forbidden, "Sign in to send messages.") }
        let body = context.field("body").trimmingWhitespace()
        guard !body.isEmpty else { throw HTTPError(.unprocessableContent, "Write a message first.") }
        // Counted in Unicode scalars: a letter with a thousand combining accents is a thousand, not one.
        guard body.unicodeScalars.count <= Self.liveMessageLimit else {
            throw HTTPError(.unprocessableContent, "A message has at most \(Self.liveMessageLimit) characters.")
        }
        try store.publishing { db in
            let message = try Store.addLiveMessage(db, userID: user.id, body: body)
            try Outbox.publish(db, topic: Self.liveDemoTopic, html: views.render("partials/live_message_oob", messageValues(message)))
        }
        if context.bridge != nil || context.request.htmx.isHTMX {
            // The sender's form is cleared; the message itself reaches every page, the sender's too, by push.
            return .html(try views.render("partials/live_form", ["oob": context.bridge != nil, "csrf_token": context.csrfToken]))
        }
        return .redirect(to: Route.liveDemo.path, for: context.request)
    }

    private func messageValues(_ message: LiveMessage) -> [String: Any] {
        ["id": message.id, "author": message.author, "body": message.body]
    }
}
