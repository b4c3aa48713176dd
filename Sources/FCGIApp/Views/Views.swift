import Platform
import Foundation
import Mustache

/// The Mustache templates in `templates/`, each parsed once per process when first needed (a CGI
/// request parses only what its page uses; FastCGI workers call `preload()` at start), and the values
/// every page needs.
public struct Views: Sendable {
    private let templates: TemplateStore

    public init(templatesDir: String, staticDir: String) throws {
        guard FileManager.default.fileExists(atPath: templatesDir) else { throw ConfigError("cannot read templates in \(templatesDir)") }
        templates = TemplateStore(directory: templatesDir.hasSuffix("/") ? templatesDir : templatesDir + "/", staticDir: staticDir)
    }

    /// Parses every template now (a long-running worker pays this once, before its first request).
    public func preload() throws { try templates.loadAll() }

    /// Renders a template; a missing template is a programming error reported as a 500.
    func render(_ name: String, _ context: [String: Any]) throws -> String {
        guard let html = try templates.library(for: name).render(context, withTemplate: name) else {
            throw ViewError.missingTemplate(name)
        }
        return html
    }

    enum ViewError: Error { case missingTemplate(String) }
}

/// The parsed templates so far, grown on demand with each template's partials and parent layouts.
final class TemplateStore: @unchecked Sendable {
    private let directory: String
    private let lock = NSLock()
    private var library = MustacheLibrary()
    private var loaded: Set<String> = []
    private let staticDir: String
    private var fingerprint: String?

    init(directory: String, staticDir: String) {
        self.directory = directory
        self.staticDir = staticDir
        HTMLBytesContentType.register
    }

    func library(for name: String) throws -> MustacheLibrary {
        try lock.withLock {
            try load(name)
            return library
        }
    }

    func loadAll() throws {
        guard let files = FileManager.default.enumerator(atPath: directory) else { throw ConfigError("cannot read templates in \(directory)") }
        let names = files.compactMap { ($0 as? String).flatMap { $0.hasSuffix(".mustache") ? String($0.dropLast(9)) : nil } }
        try lock.withLock { for name in names { try load(name) } }
    }

    /// Parses `name` and, recursively, everything it refers to. Called with the lock held.
    private func load(_ name: String) throws {
        guard !loaded.contains(name) else { return }
        let path = directory + name + ".mustache"
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { return }
        do {
            library.register(try MustacheTemplate(string: HTMLBytesContentType.pragma + inliningConstants(text, of: name)), named: name)
        } catch let error as ConfigError {
            throw error
        } catch {
            throw ConfigError("template \(name).mustache does not parse: \(error)")
        }
        loaded.insert(name)
        for reference in Self.references(in: text) { try load(reference) }
    }

    /// The names in `{{> name}}` (partial) and `{{< name}}` (parent) tags: the templates a template needs.
    static func references(in text: String) -> [String] {
        var names: [String] = []
        forEachTag(in: Array(text.utf8)) { _, tag in
            guard let kind = tag.first, kind == ">" || kind == "<" else { return }
            let name = String(tag.dropFirst().trimmingSpacesAndTabs)
            if !name.isEmpty { names.append(name) }
        }
        return names
    }

    /// Calls `body` with each `{{…}}` tag of a template: its place (braces included) and its text without
    /// the surrounding spaces. Byte by byte: Foundation's `range(of:)` bridged every template through
    /// NSString, a tenth of a cold CGI request.
    static func forEachTag(in bytes: [UInt8], _ body: (Range<Int>, Substring) throws -> Void) rethrows {
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}")
        var index = 0
        while index + 1 < bytes.count {
            guard bytes[index] == open, bytes[index + 1] == open else { index += 1; continue }
            var end = index + 2
            while end + 1 < bytes.count, !(bytes[end] == close && bytes[end + 1] == close) { end += 1 }
            guard end + 1 < bytes.count else { return }
            let text = String(decoding: bytes[(index + 2)..<end], as: UTF8.self)
            try body(index..<(end + 2), Substring(text).trimmingSpacesAndTabs)
            index = end + 2
        }
    }

    /// `{{routes.NAME}}` and `{{asset_version}}` — values fixed for the life of the process — written into
    /// the template's text when it is parsed, instead of looked up on every render (a dotted name is a
    /// split and a search of every enclosing context: 45 of them across the templates, a dozen a page).
    /// An unknown route is an error when the template is parsed. Called with the lock held.
    private func inliningConstants(_ text: String, of name: String) throws -> String {
        let bytes = Array(text.utf8)
        var result: [UInt8] = []
        result.reserveCapacity(bytes.count)
        var copied = 0
        try Self.forEachTag(in: bytes) { range, tag in
            let value: String
            if tag == "asset_version" {
                value = assetVersion()
            } else if tag.hasPrefix("routes.") {
                guard let path = Views.routePaths[String(tag.dropFirst(7))] else {
                    throw ConfigError("template \(name).mustache names a route that does not exist: {{\(tag)}}")
                }
                value = path
            } else {
                return
            }
            result += bytes[copied..<range.lowerBound]
            result += value.htmlEscaped.utf8
            copied = range.upperBound
        }
        result += bytes[copied...]
        return String(decoding: result, as: UTF8.self)
    }

    /// Changes whenever a stylesheet or script changes, so long-cached assets are refetched. Called
    /// with the lock held.
    private func assetVersion() -> String {
        if let fingerprint { return fingerprint }
        var combined: [UInt8] = []
        for sub in ["css", "js"] {
            let dir = staticDir + "/" + sub
            let files = (try? FileManager.default.contentsOfDirectory(atPath: dir))?.sorted() ?? []
            for file in files {
                if let data = FileManager.default.contents(atPath: dir + "/" + file) { combined += Array(data) }
            }
        }
        let value = Base64URL.encode(Digest.sha256(String(decoding: combined, as: UTF8.self)).prefix(6))
        fingerprint = value
        return value
    }
}

/// HTML escaping for `{{variables}}`, byte by byte. The library's own walks Characters through a
/// dictionary (about 60 ns each: a quarter of a page's rendering). Every template starts with the
/// pragma that selects it, added when it is parsed: a template's content type does not carry into
/// its partials or its parent layout, so each one sets its own.
struct HTMLBytesContentType: MustacheContentType {
    static let pragma = "{{% CONTENT_TYPE: HTML_BYTES}}"
    static let register: Void = MustacheContentTypes.register(HTMLBytesContentType(), named: "HTML_BYTES")

    func escapeText(_ text: String) -> String { text.htmlEscaped }
}

extension Views {
    /// The values the base layout reads, for any page; `user` is the signed-in viewer's.
    func layoutContext(title: String, csrfToken: String, user: (username: String, displayName: String)?,
                       extra: [String: Any] = [:]) -> [String: Any] {
        var values: [String: Any] = [
            "title": title,
            "csrf_token": csrfToken,
        ]
        if let user {
            values["user"] = ["username": user.username, "display_name": user.displayName]
        }
        for (key, value) in extra { values[key] = value }
        return values
    }

    /// `{{routes.login}}` and friends, so templates never spell a URL themselves (written into the
    /// templates when they are parsed).
    static let routePaths: [String: String] = [
        "home": Route.home.path, "login": Route.login.path, "logout": Route.logout.path,
        "register": Route.register.path, "validate_registration": Route.validateRegistration.path,
        "live_demo": Route.liveDemo.path, "live_demo_messages": Route.liveDemoMessages.path, "games": Route.games.path, "dashboard": Route.dashboard.path,
        "friends": Route.friends.path, "friend_search": Route.friendSearch.path, "friend_request": Route.friendRequest.path,
        "challenges": Route.challenges.path, "lessons": Route.lessons.path,
    ]
}
