import Platform
import Foundation
import Testing
@testable import FCGIApp

@Suite struct RequestTests {
    @Test func parsesParams() throws {
        let request = try Request(params: [
            "REQUEST_METHOD": "GET", "REQUEST_URI": "/games/%C3%A9/?status=active&page=2&page=3", "HTTP_HOST": "example.org",
            "HTTP_COOKIE": "a=1; b=\"two\"; a=ignored", "HTTP_X_FORWARDED_FOR": "1.2.3.4", "HTTPS": "on", "REMOTE_ADDR": "10.0.0.1",
        ], body: [])
        #expect(request.method == .GET && request.path == "/games/é/")
        #expect(request.query["status"] == ["active"] && request.query["page"] == ["2", "3"])
        #expect(request.cookies == ["a": "1", "b": "two"])
        #expect(request.header("X-Forwarded-For") == "1.2.3.4")
        #expect(request.isHTTPS && request.origin == "https://example.org")
        #expect(request.remoteAddress == "10.0.0.1")
    }

    @Test func fallsBackToScriptNameAndPathInfo() throws {
        let request = try Request(params: ["REQUEST_METHOD": "GET", "SCRIPT_NAME": "/app", "PATH_INFO": "/x/", "QUERY_STRING": "q=1"], body: [])
        #expect(request.path == "/app/x/" && request.query["q"] == ["1"])
    }

    @Test func cookies() {
        let cookies = Request.parseCookies(" a = 1 ;b=\"quoted\"; a=2;\tc=x=y ; empty=; novalue; d=\t ; \"=\"")
        #expect(cookies == ["a": "1", "b": "quoted", "c": "x=y", "d": "", "\"": "\""])
    }

    @Test func aPathKeepsItsPlusAndDecodesItsEscapes() throws {
        let request = try Request(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/a+b/%2B%20c/"], body: [])
        #expect(request.path == "/a+b/+ c/")
    }

    @Test func headerPartsAreTrimmedOfSpacesAndTabsOnly() {
        #expect(Substring(" \t é x\u{00A0} \t").trimmingSpacesAndTabs == "é x\u{00A0}", "a no-break space is not HTTP whitespace")
        #expect(Substring(" \t ").trimmingSpacesAndTabs.isEmpty && Substring("").trimmingSpacesAndTabs.isEmpty)
        #expect(Request.parseCookies("name = café ;x=\"é\"") == ["name": "café", "x": "é"])
        let type = MediaType(" Multipart/Form-Data ;\tBoundary = \"a b\" ; charset=utf-8;junk;=x;y=")
        #expect(type.essence == "multipart/form-data")
        #expect(type.parameters == ["boundary": "a b", "charset": "utf-8"])
        #expect(MediaType("").essence.isEmpty && MediaType("").parameters.isEmpty)
    }

    @Test func responseHeaderNamesCompareIgnoringASCIICaseOnly() {
        var response = Response(headers: [("Content-Type", "text/html"), ("X-A", "1")])
        response.setHeader("content-type", "text/plain")
        #expect(response.headers.map(\.0) == ["X-A", "content-type"] && response.header("CONTENT-TYPE") == "text/plain")
        #expect(response.header("X-B") == nil && response.header("X-") == nil && response.header("X-AA") == nil)
        // Only letters fold: "[" is "{" with the 0x20 bit cleared, "@" is "`", and non-ASCII stays as is.
        #expect("a[".equalsIgnoringASCIICase("A{") == false && "@".equalsIgnoringASCIICase("`") == false)
        #expect("é".equalsIgnoringASCIICase("É") == false && "é".equalsIgnoringASCIICase("é"))
        #expect("Hx-Trigger".equalsIgnoringASCIICase("HX-TRIGGER") && "".equalsIgnoringASCIICase(""))
    }

    @Test func refusesWhatCannotBeARequest() {
        #expect(throws: HTTPError(.badRequest, "The request has no method.")) { try Request(params: [:], body: []) }
        #expect(throws: HTTPError(.methodNotAllowed, "The method BREW is not supported.")) {
            try Request(params: ["REQUEST_METHOD": "BREW", "REQUEST_URI": "/"], body: [])
        }
        for bad in ["/a%00b", "/%zz", "/%C3", "/a%0Ab", "noslash"] {
            #expect(throws: HTTPError(.badRequest, "The address of this request is not valid.")) {
                try Request(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": bad], body: [])
            }
        }
        #expect(throws: HTTPError.self) { try Request(params: ["REQUEST_METHOD": "GET", "REQUEST_URI": "/?a=%FF"], body: []) }
    }
}

@Suite struct FormDecodingTests {
    @Test func urlencoded() throws {
        let fields = try FormDecoding.body(Array("a=1&b=two+words&a=%C3%A9&empty=&=skip&flag".utf8), contentType: "application/x-www-form-urlencoded; charset=UTF-8")
        #expect(fields["a"] == ["1", "é"] && fields["b"] == ["two words"] && fields["empty"] == [""] && fields["flag"] == [""])
        #expect(fields[""] == nil)
    }

    @Test func urlencodedErrors() {
        #expect(throws: HTTPError(.badRequest, "The form is not validly encoded (bad percent-escape or UTF-8).")) {
            try FormDecoding.body(Array("a=%zz".utf8), contentType: "application/x-www-form-urlencoded")
        }
        #expect(throws: HTTPError(.badRequest, "The form data is not valid UTF-8.")) {
            try FormDecoding.body([0x61, 0x3D, 0xFF], contentType: "application/x-www-form-urlencoded")
        }
        // A cut-short escape, and an escape that decodes to bytes that are not UTF-8.
        for bad in ["a=%", "a=%4", "a=b%4", "%g1=x", "a=%E9", "a=%C3%28"] {
            #expect(throws: HTTPError(.badRequest, "The form is not validly encoded (bad percent-escape or UTF-8)."), "\(bad)") {
                try FormDecoding.body(Array(bad.utf8), contentType: "application/x-www-form-urlencoded")
            }
        }
    }

    @Test func urlencodedEscapes() throws {
        let fields = try FormDecoding.urlencoded("plus=a%2Bb&space=a+b%20c&hex=%7e%7E&amp=%26%3D&&x=1=2")
        #expect(fields["plus"] == ["a+b"] && fields["space"] == ["a b c"] && fields["hex"] == ["~~"])
        #expect(fields["amp"] == ["&="] && fields["x"] == ["1=2"] && fields.count == 5)
    }

    @Test func json() throws {
        let fields = try FormDecoding.body(Array(#"{"row":7,"col":"8","ok":true,"x":1.5,"n":null,"list":["a",2]}"#.utf8), contentType: "application/json")
        #expect(fields["row"] == ["7"] && fields["col"] == ["8"] && fields["ok"] == ["true"] && fields["x"] == ["1.5"])
        #expect(fields["n"] == [""] && fields["list"] == ["a", "2"])
        for bad in ["[1]", "{", #"{"a":{"b":1}}"#, "\"s\""] {
            #expect(throws: HTTPError.self, "\(bad)") { try FormDecoding.body(Array(bad.utf8), contentType: "application/json") }
        }
    }

    @Test func multipart() throws {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"username\"\r\n\r\nalice\r\n"
            + "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"a.txt\"\r\nContent-Type: text/plain\r\n\r\nhello\r\n--XyZ--\r\n"
        let fields = try FormDecoding.body(Array(body.utf8), contentType: "multipart/form-data; boundary=XyZ")
        #expect(fields["username"] == ["alice"] && fields["file"] == ["a.txt"])
        #expect(throws: HTTPError(.badRequest, "The multipart form is malformed.")) {
            try FormDecoding.body(Array("--XyZ\r\nbroken".utf8), contentType: "multipart/form-data; boundary=XyZ")
        }
        #expect(throws: HTTPError(.badRequest, "The multipart form has no boundary.")) {
            try FormDecoding.body(Array("x".utf8), contentType: "multipart/form-data")
        }
    }

    @Test func unsupportedTypes() {
        #expect(throws: HTTPError.self) { try FormDecoding.body(Array("x".utf8), contentType: "text/plain") }
        #expect(throws: HTTPError.self) { try FormDecoding.body(Array("x".utf8), contentType: nil) }
        #expect((try? FormDecoding.body([], contentType: "text/plain")) == [:], "an empty body needs no type")
    }
}
