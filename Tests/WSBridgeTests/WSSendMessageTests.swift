import Foundation
import Testing
@testable import WSBridge

@Suite struct WSSendMessageTests {
    let prefixes = ["/live/"]

    @Test func formValuesBecomeABodyAndHEADERSBecomeParams() throws {
        let message = try WSSendMessage(json: #"""
            {"ws_path":"/live/demo/messages/","body":"hi there","n":7,"many":["a","b"],
             "HEADERS":{"HX-Request":"true","X-CSRF-Token":"tok","Cookie":"stolen=1","Bad Name":"x","HX-Target":null}}
            """#, allowedPrefixes: prefixes)
        #expect(message.path == "/live/demo/messages/")
        #expect(String(decoding: message.body, as: UTF8.self) == "body=hi%20there&many=a&many=b&n=7")
        #expect(message.headerParams == ["HTTP_HX_REQUEST": "true", "HTTP_X_CSRF_TOKEN": "tok", "HTTP_HX_TARGET": ""])
    }

    @Test(arguments: [
        "not json", "[1,2]", #"{"body":"no path"}"#, #"{"ws_path":"/accounts/logout/"}"#,
        #"{"ws_path":"/live/../accounts/logout/"}"#, #"{"ws_path":"/live/x?y=1"}"#, #"{"ws_path":"/live/x","o":{"a":1}}"#,
    ])
    func refusesWhatCannotBeForwarded(_ json: String) {
        #expect(throws: WSSendMessage.Invalid.self) { try WSSendMessage(json: json, allowedPrefixes: prefixes) }
    }
}
