import Platform
import Foundation

/// What htmx says about a request in its `HX-*` headers (django-htmx's `request.htmx`).
/// See https://htmx.org/reference/#request_headers
public struct HTMXDetails: Sendable, Equatable {
    /// `HX-Request: true`: the request was made by htmx.
    public let isHTMX: Bool
    /// `HX-Boosted`: made by an element with `hx-boost`.
    public let boosted: Bool
    /// `HX-Current-URL`: the browser's URL when the request was made.
    public let currentURL: String?
    /// `HX-History-Restore-Request`: htmx missed its history cache and needs the full page.
    public let historyRestoreRequest: Bool
    /// `HX-Prompt`: the user's answer to `hx-prompt`.
    public let prompt: String?
    /// `HX-Target`: the id of the target element.
    public let target: String?
    /// `HX-Trigger`: the id of the triggering element.
    public let trigger: String?
    /// `HX-Trigger-Name`: the name of the triggering element.
    public let triggerName: String?

    init(headers: [String: String], origin: String?) {
        func value(_ name: String) -> String? {
            guard let raw = headers[name] else { return nil }
            // htmx percent-encodes non-ASCII values and says so in a companion header.
            if headers[name + "-uri-autoencoded"] == "true" { return raw.removingPercentEncoding ?? raw }
            return raw
        }
        isHTMX = headers["hx-request"] == "true"
        boosted = headers["hx-boosted"] == "true"
        currentURL = value("hx-current-url")
        historyRestoreRequest = headers["hx-history-restore-request"] == "true"
        prompt = value("hx-prompt")
        target = value("hx-target")
        trigger = value("hx-trigger")
        triggerName = value("hx-trigger-name")
        self.origin = origin
    }

    private let origin: String?

    /// The path (with query) of `currentURL` when it is on this site, else nil — safe to redirect to.
    public var currentURLAbsolutePath: String? {
        guard let url = currentURL, let origin, url.hasPrefix(origin) else { return nil }
        let rest = url.dropFirst(origin.count)
        guard rest.isEmpty || rest.hasPrefix("/") else { return nil }
        return rest.isEmpty ? "/" : String(rest)
    }

    /// The request wants a fragment rather than a whole page.
    public var wantsPartial: Bool { isHTMX && !boosted && !historyRestoreRequest }
}

extension Request {
    /// htmx's request headers, typed.
    public var htmx: HTMXDetails { HTMXDetails(headers: headers, origin: origin) }
}
