import Domain
import Testing
@testable import FCGIApp

/// The byte-level HTML builder under the board and under every `{{variable}}` of the templates.
@Suite struct HTMLBufferTests {
    @Test func escapesTheFiveCharactersAndNothingElse() {
        #expect("<a href=\"x\">Tom & Jerry's</a>".htmlEscaped == "&lt;a href=&quot;x&quot;&gt;Tom &amp; Jerry&#39;s&lt;/a&gt;")
        #expect("plain text, nothing to do".htmlEscaped == "plain text, nothing to do")
        #expect("".htmlEscaped == "")
    }

    @Test func multiByteTextSurvivesEscaping() {
        // No byte of a multi-byte UTF-8 sequence is ASCII, so only the ASCII specials change.
        #expect("Ünïcödé <名前> 🀄 & ∑".htmlEscaped == "Ünïcödé &lt;名前&gt; 🀄 &amp; ∑")
        #expect("e\u{301}\"".htmlEscaped == "e\u{301}&quot;")
    }

    @Test func numbersAsDecimalText() {
        for number in [0, 7, 10, 15, 225, -1, -90, 1_000_000, Int.max, Int.min] {
            var buffer = HTMLBuffer()
            buffer.append(number)
            #expect(buffer.string == String(number))
        }
    }

    @Test func everyPointIsNamedAsTheRulesNameIt() {
        for size in Board.supportedSizes {
            for row in 0..<size {
                for col in 0..<size {
                    var buffer = HTMLBuffer()
                    BoardView.appendNotation(Point(row: row, col: col), boardSize: size, to: &buffer)
                    #expect(buffer.string == Point(row: row, col: col).notation(boardSize: size), "\(row),\(col) on \(size)")
                }
            }
        }
    }

    @Test func piecesInOrder() {
        var buffer = HTMLBuffer(capacity: 4)
        buffer.append("<p id=\"x-")
        buffer.append(12)
        buffer.append("\">")
        buffer.append(escaped: "a<b")
        buffer.append(html: "<em>ok</em>")
        buffer.append("</p>")
        #expect(buffer.string == "<p id=\"x-12\">a&lt;b<em>ok</em></p>")
    }
}

/// Templates escape `{{variables}}` through `HTMLBytesContentType`, which every template selects.
@Suite struct TemplateEscapingTests {
    @Test func userTextInAPageIsEscapedInTheLayoutAndInThePage() throws {
        let test = try TestApp()
        _ = try test.app.store.createUser(username: "mallory", email: "m@example.org", displayName: "<b>Mal & \"Lo\"</b>",
                                          passwordHash: test.app.passwords.hash("correct-horse-battery"))
        let page = test.get("/", headers: ["Cookie": try test.sessionCookie("mallory")]).text
        #expect(page.contains("Signed in as <strong>&lt;b&gt;Mal &amp; &quot;Lo&quot;&lt;/b&gt;</strong>"))
        #expect(!page.contains("<b>Mal"))
        // The pragma that selects the escaping is consumed by the parser, never printed.
        #expect(!page.contains("CONTENT_TYPE"))
    }
}
