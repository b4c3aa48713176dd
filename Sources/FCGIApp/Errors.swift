import Platform
import Foundation
import Logging

extension App {
    /// Turns any error into what the user sees. `HTTPError`s show their message; anything else is a
    /// 500 that shows nothing internal, except in `--dev` mode.
    func errorResponse(_ error: any Error, request: Request?, params: [String: String], requestID: String) -> Response {
        let httpError: HTTPError
        var detail: String?
        if let known = error as? HTTPError {
            httpError = known
        } else {
            logger.error("unhandled error", metadata: ["error": .string(String(reflecting: error)), "request_id": .string(requestID),
                                                       "path": .string(request?.path ?? params["REQUEST_URI"] ?? "-")])
            httpError = HTTPError(.internalServerError, "Something went wrong on our side. It has been logged (reference \(requestID)); please try again.")
            if config.dev { detail = String(reflecting: error) }
        }
        if (request?.path ?? params["REQUEST_URI"] ?? "").hasPrefix("/api/") {
            var response = APIError(httpError).response
            if detail != nil { response.setHeader("X-Error-Detail", "see the server log") }
            return response
        }
        var values: [String: Any] = [
            "status": httpError.status.rawValue, "reason": httpError.status.reasonPhrase, "message": httpError.message,
            "title": "\(httpError.status.rawValue) \(httpError.status.reasonPhrase)",
        ]
        if let detail {
            values["dev"] = [
                "error": detail,
                "params": params.keys.sorted().map { ["name": $0, "value": params[$0]!] },
            ]
        }
        let isHTMX = request?.htmx.isHTMX == true && request?.htmx.historyRestoreRequest == false
        let viaBridge = request.map { $0.params["GOMOKU_BRIDGE"]?.isEmpty == false } ?? false
        var response: Response
        do {
            if viaBridge {
                // A ws-send answer is swapped out of band: the message goes into the page's message area.
                values["oob"] = true
                response = Response.html(try views.render("partials/error", values), status: httpError.status)
            } else if isHTMX {
                // Shown in the page's message area whatever element asked (see htmx-config responseHandling).
                response = Response.html(try views.render("partials/error", values), status: httpError.status)
                    .retarget("#messages").reswap(.innerHTML)
            } else {
                response = Response.html(try views.render("pages/error", values), status: httpError.status)
            }
        } catch {
            response = .text("\(httpError.status.rawValue) \(httpError.status.reasonPhrase)\n\(httpError.message)\n", status: httpError.status)
        }
        for (name, value) in httpError.headers { response.setHeader(name, value) }
        return response.varyOnHTMX()
    }
}
