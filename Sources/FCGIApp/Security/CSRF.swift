import Platform

/// Cross-site request forgery protection: a random per-browser cookie, a token derived from it with
/// the server secret (in forms as `csrf_token`, for htmx in `<body hx-headers>` as `X-CSRF-Token`),
/// and an Origin/Referer check on every unsafe method.
struct CSRF {
    static let cookieName = "gomoku_csrf"
    static let fieldName = "csrf_token"
    static let headerName = "x-csrf-token"

    let secret: [UInt8]
    /// Tokens of recently seen cookies: a browser sends the same cookie with every request, and the HMAC
    /// was about 4 % of a page.
    private let recentTokens = ProcessCache<String, String>(capacity: 4096)

    init(secret: [UInt8]) { self.secret = secret }

    /// The request's CSRF cookie if it is one we could have set (32 random bytes), else nil.
    static func validCookie(of request: Request) -> String? {
        request.cookies[cookieName].flatMap { Base64URL.decode($0)?.count == 32 ? $0 : nil }
    }

    /// The token that goes with a cookie value.
    func token(for cookieValue: String) -> String {
        if let known = recentTokens[cookieValue] { return known }
        let token = Base64URL.encode(Digest.hmac("csrf:" + cookieValue, key: secret))
        recentTokens[cookieValue] = token
        return token
    }

    /// Checks an unsafe request: same origin, and a token matching its cookie. `expected` is the token of
    /// the request's cookie (computed once per request for the page anyway), nil when it sent no valid one.
    func check(_ request: Request, form: FormFields, expected: String?) throws {
        try checkOrigin(request)
        guard let expected else {
            throw HTTPError(.forbidden, "Your browser did not send the security cookie. Reload the page (and allow cookies for this site), then try again.")
        }
        guard let sent = request.header(Self.headerName) ?? form.value(Self.fieldName), !sent.isEmpty else {
            throw HTTPError(.forbidden, "The form is missing its security token. Reload the page and try again.")
        }
        guard Digest.constantTimeEqual(Array(sent.utf8), Array(expected.utf8)) else {
            throw HTTPError(.forbidden, "The form's security token is out of date. Reload the page and try again.")
        }
    }

    /// Browsers send `Origin` on every unsafe request; when present it must be ours. Over HTTPS a
    /// missing Origin falls back to Referer, as it does in Django.
    private func checkOrigin(_ request: Request) throws {
        let ours = request.origin
        if let origin = request.header("origin"), origin != "null" {
            guard let ours, origin.lowercased() == ours.lowercased() else {
                throw HTTPError(.forbidden, "This request came from another site (\(origin.prefix(80))) and was refused.")
            }
            return
        }
        if request.isHTTPS {
            guard let referer = request.header("referer"), let ours,
                  referer.lowercased().hasPrefix(ours.lowercased() + "/") || referer.lowercased() == ours.lowercased() else {
                throw HTTPError(.forbidden, "This request did not say which page it came from and was refused.")
            }
        }
    }
}
