import Platform
import Foundation
import Mustache

/// The Mustache templates in `templates/`, parsed once per process, and the values every page needs.
public struct Views: Sendable {
    let library: MustacheLibrary
    /// Changes whenever a stylesheet or script changes, so long-cached assets are refetched.
    let assetVersion: String

    public init(templatesDir: String, staticDir: String) throws {
        var templates: [String: MustacheTemplate] = [:]
        let base = templatesDir.hasSuffix("/") ? templatesDir : templatesDir + "/"
        guard let files = FileManager.default.enumerator(atPath: base) else {
            throw ConfigError("cannot read templates in \(templatesDir)")
        }
        for case let file as String in files where file.hasSuffix(".mustache") {
            let text = try String(contentsOfFile: base + file, encoding: .utf8)
            do {
                templates[String(file.dropLast(".mustache".count))] = try MustacheTemplate(string: text)
            } catch {
                throw ConfigError("template \(file) does not parse: \(error)")
            }
        }
        library = MustacheLibrary(templates: templates)
        assetVersion = Self.fingerprint(of: staticDir)
    }

    /// Renders a template; a missing template is a programming error reported as a 500.
    func render(_ name: String, _ context: [String: Any]) throws -> String {
        guard let html = library.render(context, withTemplate: name) else {
            throw ViewError.missingTemplate(name)
        }
        return html
    }

    enum ViewError: Error { case missingTemplate(String) }

    private static func fingerprint(of staticDir: String) -> String {
        var combined: [UInt8] = []
        for sub in ["css", "js"] {
            let dir = staticDir + "/" + sub
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? []
            for file in files {
                if let data = FileManager.default.contents(atPath: dir + "/" + file) { combined += Array(data) }
            }
        }
        return Base64URL.encode(Digest.sha256(String(decoding: combined, as: UTF8.self)).prefix(6))
    }
}

extension Views {
    /// The values the base layout reads, for any page.
    func layoutContext(_ context: RequestContext, title: String, extra: [String: Any] = [:]) -> [String: Any] {
        var values: [String: Any] = [
            "title": title,
            "csrf_token": context.csrfToken,
            "asset_version": assetVersion,
            "routes": routePaths,
        ]
        if let user = context.user {
            values["user"] = ["username": user.username, "display_name": user.displayName]
        }
        for (key, value) in extra { values[key] = value }
        return values
    }

    /// `{{routes.login}}` and friends, so templates never spell a URL themselves.
    var routePaths: [String: String] {
        [
            "home": Route.home.path, "login": Route.login.path, "logout": Route.logout.path,
            "register": Route.register.path, "validate_registration": Route.validateRegistration.path,
            "live_demo": Route.liveDemo.path, "live_demo_messages": Route.liveDemoMessages.path, "games": Route.games.path, "dashboard": Route.dashboard.path,
            "friends": Route.friends.path, "friend_search": Route.friendSearch.path, "friend_request": Route.friendRequest.path,
            "challenges": Route.challenges.path, "lessons": Route.lessons.path,
        ]
    }
}
