import Platform
import Foundation
import Testing
@testable import FCGIApp

/// Every htmx request header in its default, set and URI-encoded form, and every response helper.
@Suite struct HTMXRequestTests {
    func details(_ headers: [String: String]) throws -> HTMXDetails {
        var params = ["REQUEST_METHOD": "GET", "REQUEST_URI": "/", "HTTP_HOST": "example.org"]
        for (name, value) in headers { params["HTTP_" + name.uppercased().replacingOccurrences(of: "-", with: "_")] = value }
        return try Request(params: params, body: []).htmx
    }

    @Test func defaultsWhenNotHTMX() throws {
        let htmx = try details([:])
        #expect(!htmx.isHTMX && !htmx.boosted && !htmx.historyRestoreRequest && !htmx.wantsPartial)
        #expect(htmx.currentURL == nil && htmx.prompt == nil && htmx.target == nil && htmx.trigger == nil && htmx.triggerName == nil)
        #expect(htmx.currentURLAbsolutePath == nil)
    }

    @Test func setValues() throws {
        let htmx = try details([
            "HX-Request": "true", "HX-Boosted": "true", "HX-Current-URL": "http://example.org/games/?page=2",
            "HX-History-Restore-Request": "true", "HX-Prompt": "yes", "HX-Target": "board", "HX-Trigger": "cell-1", "HX-Trigger-Name": "move",
        ])
        #expect(htmx.isHTMX && htmx.boosted && htmx.historyRestoreRequest)
        #expect(htmx.currentURL == "http://example.org/games/?page=2")
        #expect(htmx.currentURLAbsolutePath == "/games/?page=2")
        #expect(htmx.prompt == "yes" && htmx.target == "board" && htmx.trigger == "cell-1" && htmx.triggerName == "move")
        #expect(!htmx.wantsPartial, "boosted and history-restore requests need the full page")
    }

    @Test func falseIsNotTrue() throws {
        let htmx = try details(["HX-Request": "false", "HX-Boosted": "false", "HX-History-Restore-Request": "false"])
        #expect(!htmx.isHTMX && !htmx.boosted && !htmx.historyRestoreRequest)
    }

    @Test func uriAutoEncodedValuesAreDecoded() throws {
        let htmx = try details([
            "HX-Current-URL": "http://example.org/caf%C3%A9", "HX-Current-URL-URI-AutoEncoded": "true",
            "HX-Prompt": "%C3%A9t%C3%A9", "HX-Prompt-URI-AutoEncoded": "true",
            "HX-Target": "t%20x", "HX-Target-URI-AutoEncoded": "true",
            "HX-Trigger": "a%2Fb", "HX-Trigger-URI-AutoEncoded": "true",
            "HX-Trigger-Name": "n%C3%A4me", "HX-Trigger-Name-URI-AutoEncoded": "true",
        ])
        #expect(htmx.currentURL == "http://example.org/café")
        #expect(htmx.prompt == "été" && htmx.target == "t x" && htmx.trigger == "a/b" && htmx.triggerName == "näme")
    }

    @Test func encodedValuesWithoutTheFlagAreLeftAlone() throws {
        #expect(try details(["HX-Prompt": "%C3%A9"]).prompt == "%C3%A9")
    }

    @Test func currentURLFromAnotherSiteIsNotAPath() throws {
        #expect(try details(["HX-Current-URL": "https://evil.example/x"]).currentURLAbsolutePath == nil)
        #expect(try details(["HX-Current-URL": "http://example.org.evil.example/x"]).currentURLAbsolutePath == nil)
        #expect(try details(["HX-Current-URL": "http://example.org"]).currentURLAbsolutePath == "/")
    }
}

@Suite struct HTMXResponseTests {
    @Test func clientRedirectAndRefresh() {
        let redirect = Response.clientRedirect("/games/1/")
        #expect(redirect.status == .ok && redirect.header("HX-Redirect") == "/games/1/")
        #expect(Response.clientRefresh().header("HX-Refresh") == "true")
        #expect(Response.stopPolling().status.rawValue == 286)
    }

    @Test func locationIsAPathOrJSON() {
        #expect(Response.location("/a/").header("HX-Location") == "/a/")
        let full = Response.location("/a/", target: "#main", swap: .outerHTML, values: ["k": "v"])
        #expect(full.header("HX-Location") == ##"{"path":"/a/","swap":"outerHTML","target":"#main","values":{"k":"v"}}"##)
    }

    @Test func historyHelpers() {
        #expect(Response().pushURL("/x/").header("HX-Push-Url") == "/x/")
        #expect(Response().pushURL(nil).header("HX-Push-Url") == "false")
        #expect(Response().replaceURL("/y/").header("HX-Replace-Url") == "/y/")
        #expect(Response().replaceURL(nil).header("HX-Replace-Url") == "false")
    }

    @Test func swapHelpers() {
        #expect(Response().reswap(.outerHTML).header("HX-Reswap") == "outerHTML")
        #expect(Response().reswap(.beforeend, modifiers: "scroll:bottom").header("HX-Reswap") == "beforeend scroll:bottom")
        #expect(Response().retarget("#messages").header("HX-Retarget") == "#messages")
        #expect(Response().reselect("#board").header("HX-Reselect") == "#board")
        #expect(SwapMethod.allCases.map(\.rawValue) == ["innerHTML", "outerHTML", "beforebegin", "afterbegin", "beforeend", "afterend", "delete", "none"])
    }

    @Test func triggersMergeIntoOneJSONObjectPerTiming() {
        let response = Response()
            .trigger("moved")
            .trigger("toast", detail: ["text": "Your turn"])
            .trigger("settled", after: .settle)
            .trigger("swapped", after: .swap)
        #expect(response.header("HX-Trigger") == #"{"moved":null,"toast":{"text":"Your turn"}}"#)
        #expect(response.header("HX-Trigger-After-Settle") == #"{"settled":null}"#)
        #expect(response.header("HX-Trigger-After-Swap") == #"{"swapped":null}"#)
    }

    @Test func triggerMergesWithAPlainEventList() {
        var response = Response()
        response.setHeader("HX-Trigger", "a, b")
        #expect(response.trigger("c").header("HX-Trigger") == #"{"a":null,"b":null,"c":null}"#)
    }

    @Test func varyIsAddedOnce() {
        var response = Response()
        response.setHeader("Vary", "Accept-Encoding")
        #expect(response.varyOnHTMX().varyOnHTMX().header("Vary") == "Accept-Encoding, HX-Request")
    }

    @Test func redirectIs303ForBrowsersAnd200ForHTMX() throws {
        let plain = try Request(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/"], body: [])
        let htmx = try Request(params: ["REQUEST_METHOD": "POST", "REQUEST_URI": "/", "HTTP_HX_REQUEST": "true"], body: [])
        let a = Response.redirect(to: "/next/", for: plain)
        #expect(a.status == .seeOther && a.header("Location") == "/next/" && a.header("HX-Redirect") == nil)
        let b = Response.redirect(to: "/next/", for: htmx)
        #expect(b.status == .ok && b.header("HX-Redirect") == "/next/" && b.header("Location") == nil)
    }
}
