/// What a valid account looks like. Pure rules: uniqueness is the store's job.
public enum AccountRules {
    public static let usernameLength = 3...30
    public static let displayNameLength = 1...50
    public static let passwordLength = 10...128
    public static let emailMaxLength = 254

    /// The fields of the registration form, in the order they are shown.
    public enum Field: String, CaseIterable, Sendable {
        case username, email, displayName = "display_name", password
    }

    public static func validateUsername(_ value: String) -> DomainError? {
        let name = value
        if name.isEmpty { return DomainError("Choose a username.", field: Field.username.rawValue) }
        if !usernameLength.contains(name.count) {
            return DomainError("A username has \(usernameLength.lowerBound) to \(usernameLength.upperBound) characters.", field: Field.username.rawValue)
        }
        let allowed = name.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z")
                || (scalar >= "0" && scalar <= "9") || scalar == "_" || scalar == "-" || scalar == "."
        }
        if !allowed {
            return DomainError("Use only letters, digits, dots, dashes and underscores.", field: Field.username.rawValue)
        }
        if let first = name.unicodeScalars.first, first == "." || first == "-" {
            return DomainError("A username starts with a letter, a digit or an underscore.", field: Field.username.rawValue)
        }
        return nil
    }

    public static func validateEmail(_ value: String) -> DomainError? {
        let field = Field.email.rawValue
        if value.isEmpty { return DomainError("Enter your email address.", field: field) }
        if value.utf8.count > emailMaxLength { return DomainError("That email address is too long.", field: field) }
        let parts = value.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, !parts[0].isEmpty, parts[1].count >= 3,
              parts[1].contains("."), !parts[1].hasPrefix("."), !parts[1].hasSuffix("."),
              !value.contains(where: { $0.isWhitespace || $0 == "<" || $0 == ">" || $0 == "," })
        else {
            return DomainError("Enter an email address like name@example.org.", field: field)
        }
        return nil
    }

    public static func validateDisplayName(_ value: String) -> DomainError? {
        let field = Field.displayName.rawValue
        let trimmed = value.trimmingWhitespace()
        if trimmed.isEmpty { return DomainError("Choose the name other players will see.", field: field) }
        if !displayNameLength.contains(trimmed.count) {
            return DomainError("A display name has at most \(displayNameLength.upperBound) characters.", field: field)
        }
        if trimmed.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) {
            return DomainError("A display name cannot contain control characters.", field: field)
        }
        return nil
    }

    public static func validatePassword(_ value: String, username: String) -> DomainError? {
        let field = Field.password.rawValue
        if value.isEmpty { return DomainError("Choose a password.", field: field) }
        if value.count < passwordLength.lowerBound {
            return DomainError("A password has at least \(passwordLength.lowerBound) characters.", field: field)
        }
        if value.count > passwordLength.upperBound {
            return DomainError("A password has at most \(passwordLength.upperBound) characters.", field: field)
        }
        if !username.isEmpty, value.lowercased().contains(username.lowercased()) {
            return DomainError("The password must not contain your username.", field: field)
        }
        if Set(value).count < 4 || commonPasswords.contains(value.lowercased()) {
            return DomainError("This password is too easy to guess.", field: field)
        }
        return nil
    }

    /// Checks one field of the registration form.
    public static func validate(_ field: Field, in form: RegistrationForm) -> DomainError? {
        switch field {
        case .username: validateUsername(form.username)
        case .email: validateEmail(form.email)
        case .displayName: validateDisplayName(form.displayName)
        case .password: validatePassword(form.password, username: form.username)
        }
    }

    /// A small list of the passwords tried first by anyone guessing.
    static let commonPasswords: Set<String> = [
        "password", "password1", "password12", "password123", "1234567890", "0123456789",
        "qwertyuiop", "iloveyou12", "letmein123", "welcome123", "gomokugomoku", "abcdefghij",
        "administrator", "passw0rd123", "qwerty1234", "1q2w3e4r5t", "trustno1234",
    ]
}

/// The values a person typed into the registration form.
public struct RegistrationForm: Sendable, Equatable {
    public var username: String
    public var email: String
    public var displayName: String
    public var password: String

    public init(username: String, email: String, displayName: String, password: String) {
        self.username = username.trimmingWhitespace()
        self.email = email.trimmingWhitespace()
        self.displayName = displayName.trimmingWhitespace()
        self.password = password
    }

    /// Every field's first problem, keyed by field.
    public func errors() -> [AccountRules.Field: DomainError] {
        var errors: [AccountRules.Field: DomainError] = [:]
        for field in AccountRules.Field.allCases {
            if let error = AccountRules.validate(field, in: self) { errors[field] = error }
        }
        return errors
    }
}

extension String {
    /// Leading and trailing whitespace removed, without Foundation.
    public func trimmingWhitespace() -> String {
        guard let start = firstIndex(where: { !$0.isWhitespace }),
              let end = lastIndex(where: { !$0.isWhitespace }) else { return "" }
        return String(self[start...end])
    }
}
