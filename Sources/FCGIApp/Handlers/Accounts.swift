import Platform
import Domain
import Foundation
import Store

/// Sign in, sign out and registration, with live validation of the registration form.
extension App {
    static let throttleWindow: Int64 = 15 * 60
    static let accountFailureLimit = 5
    static let clientFailureLimit = 20

    // MARK: Login

    func login(_ context: inout RequestContext) throws -> Response {
        let next = Self.safeNext(context.request.method == .POST ? context.form.value("next") : context.request.query.value("next"))
        guard context.request.method == .POST else { return try loginPage(context, username: "", next: next) }

        let username = context.field("username").trimmingWhitespace()
        let password = context.field("password")
        guard !username.isEmpty, !password.isEmpty else {
            return try loginPage(context, username: username, next: next, error: "Enter your username and password.")
        }
        let accountScope = "account:" + username.lowercased()
        let clientScope = "client:" + context.request.remoteAddress
        if try store.recentLoginFailures(scope: accountScope, window: Self.throttleWindow) >= Self.accountFailureLimit
            || store.recentLoginFailures(scope: clientScope, window: Self.throttleWindow) >= Self.clientFailureLimit {
            throw HTTPError(.tooManyRequests, "Too many failed sign-ins. Wait 15 minutes and try again.",
                            headers: [("Retry-After", String(Self.throttleWindow))])
        }
        let user = try store.user(username: username)
        guard let user, passwords.verify(password, against: user.passwordHash) else {
            if user == nil { passwords.burnTime(password) }
            try store.recordLoginFailure(scopes: [accountScope, clientScope])
            return try loginPage(context, username: username, next: next, error: "That username and password do not match.")
        }
        try store.clearLoginFailures(scope: accountScope)
        if passwords.needsRehash(user.passwordHash) { try store.setPasswordHash(userID: user.id, passwords.hash(password)) }
        try startSession(for: user, &context)
        return .redirect(to: next, for: context.request)
    }

    private func loginPage(_ context: RequestContext, username: String, next: String, error: String? = nil) throws -> Response {
        var values: [String: Any] = ["username": username, "next": next]
        if let error { values["error"] = error }
        return try page("pages/login", context, title: "Sign in", values: values, fragment: "partials/login_form",
                        status: error == nil ? .ok : .unprocessableContent)
    }

    // MARK: Logout

    func logout(_ context: inout RequestContext) throws -> Response {
        guard context.request.method == .POST else {
            // A link or a typed URL must not sign anyone out: show a button that posts.
            return try page("pages/logout", context, title: "Sign out")
        }
        try endSession(&context)
        return .redirect(to: Route.home.path, for: context.request)
    }

    // MARK: Registration

    func register(_ context: inout RequestContext) throws -> Response {
        guard context.request.method == .POST else {
            return try registerPage(context, form: RegistrationForm(username: "", email: "", displayName: "", password: ""), errors: [:])
        }
        let form = registrationForm(context)
        var errors = try registrationErrors(form)
        if errors.isEmpty {
            switch try store.createUser(username: form.username, email: form.email, displayName: form.displayName,
                                        passwordHash: passwords.hash(form.password)) {
            case .success(let user):
                try startSession(for: user, &context)
                return .redirect(to: Route.home.path, for: context.request)
            case .failure(.usernameTaken):
                errors[.username] = DomainError("That username was just taken. Choose another.", field: "username")
            case .failure(.emailTaken):
                errors[.email] = DomainError("An account with this email address already exists.", field: "email")
            }
        }
        return try registerPage(context, form: form, errors: errors, status: .unprocessableContent)
    }

    /// Live validation: checks the field that triggered the request (`HX-Trigger-Name`) and answers with
    /// out-of-band swaps of that field's message and of the submit button, enabled only when all is valid.
    func validateRegistration(_ context: RequestContext) throws -> Response {
        let form = registrationForm(context)
        let errors = try registrationErrors(form)
        var html = ""
        if let name = context.request.htmx.triggerName, let field = AccountRules.Field(rawValue: name) {
            html += try views.render("partials/field_error", ["name": field.rawValue, "error": errors[field]?.message ?? "", "oob": true])
        }
        html += try views.render("partials/register_submit", ["disabled": !errors.isEmpty, "oob": true])
        return .html(html)
    }

    private func registrationForm(_ context: RequestContext) -> RegistrationForm {
        RegistrationForm(username: context.field("username"), email: context.field("email"),
                         displayName: context.field("display_name"), password: context.field("password"))
    }

    /// The rules of `AccountRules` plus what only the database knows: taken usernames and emails.
    private func registrationErrors(_ form: RegistrationForm) throws -> [AccountRules.Field: DomainError] {
        var errors = form.errors()
        if errors[.username] == nil, try store.usernameExists(form.username) {
            errors[.username] = DomainError("That username is taken. Choose another.", field: "username")
        }
        if errors[.email] == nil, try store.emailExists(form.email) {
            errors[.email] = DomainError("An account with this email address already exists.", field: "email")
        }
        return errors
    }

    private func registerPage(_ context: RequestContext, form: RegistrationForm, errors: [AccountRules.Field: DomainError],
                              status: HTTPStatus = .ok) throws -> Response {
        let specs: [(AccountRules.Field, String, String, String, String)] = [
            (.username, "Username", "text", "username", "3–30 letters, digits, dots, dashes or underscores."),
            (.email, "Email", "email", "email", "Never shown to other players."),
            (.displayName, "Display name", "text", "nickname", "The name other players see."),
            (.password, "Password", "password", "new-password", "At least 10 characters."),
        ]
        let fields: [[String: Any]] = specs.map { field, label, type, autocomplete, hint in
            var values: [String: Any] = ["name": field.rawValue, "label": label, "type": type, "autocomplete": autocomplete, "hint": hint]
            switch field {
            case .username: values["value"] = form.username
            case .email: values["value"] = form.email
            case .displayName: values["value"] = form.displayName
            case .password: break  // never echo a password back
            }
            if let error = errors[field] { values["error"] = error.message }
            return values
        }
        return try page("pages/register", context, title: "Create an account", values: ["fields": fields],
                        fragment: "partials/register_form", status: status)
    }
}
