import Platform
/// A `Set-Cookie` header value with the attributes this app always wants.
struct SetCookie {
    var name: String
    var value: String
    var maxAge: Int64?
    var httpOnly = true
    var secure: Bool
    var sameSite = "Lax"
    var path = "/"

    var headerValue: String {
        var parts = ["\(name)=\(value)", "Path=\(path)", "SameSite=\(sameSite)"]
        if let maxAge { parts.append("Max-Age=\(maxAge)") }
        if httpOnly { parts.append("HttpOnly") }
        if secure { parts.append("Secure") }
        return parts.joined(separator: "; ")
    }

    static func expired(_ name: String, secure: Bool) -> SetCookie {
        SetCookie(name: name, value: "", maxAge: 0, secure: secure)
    }
}
