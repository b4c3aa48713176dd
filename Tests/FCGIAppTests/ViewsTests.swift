import Foundation
import Platform
import Testing
@testable import FCGIApp

/// Templates as `Views` loads them: partials and parents found from the text, constants written in.
@Suite struct ViewsTests {
    func views(_ templates: [String: String]) throws -> Views {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("views-tests-\(UUID().uuidString)").path
        for (name, text) in templates {
            let path = dir + "/" + name + ".mustache"
            try FileManager.default.createDirectory(atPath: (path as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try text.write(toFile: path, atomically: true, encoding: .utf8)
        }
        return try Views(templatesDir: dir, staticDir: repositoryRoot + "/static")
    }

    @Test func routesAndTheAssetVersionAreWrittenInWhenParsed() throws {
        let views = try views(["pages/a": #"<a href="{{routes.login}}">in</a> <link href="x.css?v={{ asset_version }}"> {{#user}}{{routes.games}} {{name}}{{/user}} {{{html}}}"#])
        let html = try views.render("pages/a", ["user": ["name": "Ann & Ben"], "html": "<b>", "routes": ["login": "/elsewhere/"]])
        let version = try #require(html.firstMatch(of: /v=([A-Za-z0-9_-]{8})"/)?.1)
        #expect(html == #"<a href="/accounts/login/">in</a> <link href="x.css?v=\#(version)"> /games/ Ann &amp; Ben <b>"#,
                "a value passed under the same name no longer matters")
    }

    @Test func partialsAndParentsAreFoundFromTheText() {
        let text = "{{<layout}}{{$content}}{{> partials/a }}{{{html}}}{{#s}}{{>partials/b}}{{/s}}{{!> not}}{{ x }}{{/content}}{{/layout}}{{"
        #expect(TemplateStore.references(in: text) == ["layout", "partials/a", "partials/b"])
        var tags: [String] = []
        TemplateStore.forEachTag(in: Array("a{{ b }}c{{{d}}}e{{f".utf8)) { range, tag in tags.append("\(range):\(tag)") }
        #expect(tags == ["1..<8:b", "9..<15:{d"], "a triple tag's third brace stays text; an unclosed tag is text")
    }

    @Test func anUnknownRouteIsAnErrorWhenTheTemplateIsParsed() throws {
        let views = try views(["pages/b": "<a href=\"{{routes.nowhere}}\">?</a>"])
        #expect(throws: ConfigError.self) { try views.render("pages/b", [:]) }
        #expect(throws: ConfigError.self) { try views.preload() }
    }
}
