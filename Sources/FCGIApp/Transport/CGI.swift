import Platform
import CFastCGI
import Foundation

/// Plain CGI: one request from the environment and stdin, one response on stdout.
public enum CGI {
    /// True when a web server started us as a CGI program (and not with a FastCGI socket on fd 0).
    public static var isCGIInvocation: Bool {
        // getenv: ProcessInfo's environment is a fresh dictionary of every variable on each access, a
        // noticeable part of a cold CGI process.
        getenv("GATEWAY_INTERFACE") != nil && !ListeningSocket.isListening(fd: 0)
    }

    /// The CGI meta-variables of RFC 3875 plus `HTTP_*`: nothing else of the environment reaches the app.
    static let metaVariables: Set<String> = [
        "AUTH_TYPE", "CONTENT_LENGTH", "CONTENT_TYPE", "GATEWAY_INTERFACE", "PATH_INFO", "PATH_TRANSLATED",
        "QUERY_STRING", "REMOTE_ADDR", "REMOTE_HOST", "REMOTE_PORT", "REMOTE_USER", "REQUEST_METHOD", "REQUEST_URI",
        "REQUEST_SCHEME", "SCRIPT_NAME", "SERVER_NAME", "SERVER_PORT", "SERVER_PROTOCOL", "SERVER_SOFTWARE", "HTTPS",
        "DOCUMENT_URI",
    ]

    public static func serve(app: App, environment: [String: String]) -> Int32 {
        let params = environment.filter { metaVariables.contains($0.key) || $0.key.hasPrefix("HTTP_") }
        let length = Int(params["CONTENT_LENGTH"] ?? "") ?? 0
        let response: Response
        if length > app.config.maxBodyBytes {
            response = app.respond(params: params, rejecting: HTTPError(.payloadTooLarge, "The request body is larger than \(app.config.maxBodyBytes / 1024) KiB."))
        } else {
            let body = length > 0 ? Array(FileHandle.standardInput.readData(ofLength: length)) : []
            response = body.count == length
                ? app.respond(params: params, body: body)
                : app.respond(params: params, rejecting: HTTPError(.badRequest, "The request body ended early."))
        }
        FileHandle.standardOutput.write(Data(response.cgiBytes()))
        return 0
    }
}
