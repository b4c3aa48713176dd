import Platform
import Foundation

/// How htmx swaps a response in (`hx-swap` / `HX-Reswap`). https://htmx.org/attributes/hx-swap/
public enum SwapMethod: String, Sendable, CaseIterable {
    case innerHTML, outerHTML, beforebegin, afterbegin, beforeend, afterend, delete, none
}

/// When a triggered client event fires. https://htmx.org/headers/hx-trigger/
public enum TriggerTiming: Sendable {
    case receive, settle, swap
    var header: String {
        switch self {
        case .receive: "HX-Trigger"
        case .settle: "HX-Trigger-After-Settle"
        case .swap: "HX-Trigger-After-Swap"
        }
    }
}

/// htmx's response headers, as methods on `Response` (django-htmx's http helpers).
/// See https://htmx.org/reference/#response_headers
extension Response {
    /// 200 + `HX-Redirect`: htmx loads `url` as a full page. https://htmx.org/headers/hx-redirect/
    public static func clientRedirect(_ url: String) -> Response {
        var response = Response(status: .ok)
        response.setHeader("HX-Redirect", url)
        return response
    }

    /// 200 + `HX-Refresh: true`: the page reloads.
    public static func clientRefresh() -> Response {
        var response = Response(status: .ok)
        response.setHeader("HX-Refresh", "true")
        return response
    }

    /// 200 + `HX-Location`: an htmx-driven navigation without a full reload. https://htmx.org/headers/hx-location/
    public static func location(_ path: String, source: String? = nil, event: String? = nil, target: String? = nil,
                                swap: SwapMethod? = nil, select: String? = nil, values: [String: String]? = nil,
                                headers: [String: String]? = nil) -> Response {
        var spec: [String: Any] = ["path": path]
        if let source { spec["source"] = source }
        if let event { spec["event"] = event }
        if let target { spec["target"] = target }
        if let swap { spec["swap"] = swap.rawValue }
        if let select { spec["select"] = select }
        if let values { spec["values"] = values }
        if let headers { spec["headers"] = headers }
        var response = Response(status: .ok)
        response.setHeader("HX-Location", spec.count == 1 ? path : jsonText(spec))
        return response
    }

    /// 286: tells htmx to stop polling.
    public static func stopPolling() -> Response { Response(status: .stopPolling) }

    /// `HX-Push-Url`: push `url` into the history (or `false` to prevent it).
    public func pushURL(_ url: String?) -> Response { with("HX-Push-Url", url ?? "false") }

    /// `HX-Replace-Url`: replace the current history entry.
    public func replaceURL(_ url: String?) -> Response { with("HX-Replace-Url", url ?? "false") }

    /// `HX-Reswap`: swap this response differently from what the element asked for.
    public func reswap(_ method: SwapMethod, modifiers: String? = nil) -> Response {
        with("HX-Reswap", modifiers.map { "\(method.rawValue) \($0)" } ?? method.rawValue)
    }

    /// `HX-Retarget`: swap into another element (a CSS selector).
    public func retarget(_ selector: String) -> Response { with("HX-Retarget", selector) }

    /// `HX-Reselect`: choose which part of the response is swapped.
    public func reselect(_ selector: String) -> Response { with("HX-Reselect", selector) }

    /// Triggers a client-side event, merging with events already set for the same timing.
    public func trigger(_ event: String, detail: [String: Any]? = nil, after timing: TriggerTiming = .receive) -> Response {
        var merged: [String: Any] = [:]
        if let existing = header(timing.header) {
            if let data = existing.data(using: .utf8),
               let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] {
                merged = object
            } else {
                // A plain, comma-separated list of event names.
                for name in existing.split(separator: ",") { merged[String(name.trimmingSpacesAndTabs)] = NSNull() }
            }
        }
        merged[event] = detail ?? NSNull()
        return with(timing.header, Self.jsonText(merged))
    }

    /// Marks a response whose body depends on `HX-Request`, so caches keep both forms apart.
    public func varyOnHTMX() -> Response {
        var copy = self
        copy.appendToken("Vary", "HX-Request")
        return copy
    }

    private func with(_ name: String, _ value: String) -> Response {
        var copy = self
        copy.setHeader(name, value)
        return copy
    }

    static func jsonText(_ object: Any) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys, .withoutEscapingSlashes]) else { return "{}" }
        return String(decoding: data, as: UTF8.self)
    }
}

extension Response {
    /// Sends the browser to `url`: 303 for a plain request, 200 + `HX-Redirect` for htmx
    /// (a browser follows a 3xx inside XHR silently, so htmx would never see it).
    public static func redirect(to url: String, for request: Request) -> Response {
        if request.htmx.isHTMX { return clientRedirect(url) }
        var response = Response(status: .seeOther)
        response.setHeader("Location", url)
        response.setHeader("Content-Type", "text/html; charset=utf-8")
        response.body = Array("<!doctype html><title>Redirect</title><a href=\"\(url.htmlEscaped)\">Continue</a>".utf8)
        return response
    }
}
