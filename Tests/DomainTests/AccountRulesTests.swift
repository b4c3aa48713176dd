import Domain
import Testing

@Suite struct AccountRulesTests {
    @Test(arguments: ["alice", "bob_99", "a.b-c", "_x_", String(repeating: "a", count: 30)])
    func acceptsGoodUsernames(_ name: String) {
        #expect(AccountRules.validateUsername(name) == nil)
    }

    @Test(arguments: [
        ("", "Choose a username."),
        ("ab", "A username has 3 to 30 characters."),
        (String(repeating: "a", count: 31), "A username has 3 to 30 characters."),
        ("has space", "Use only letters, digits, dots, dashes and underscores."),
        ("émile", "Use only letters, digits, dots, dashes and underscores."),
        ("<script>", "Use only letters, digits, dots, dashes and underscores."),
        (".dot", "A username starts with a letter, a digit or an underscore."),
    ])
    func refusesBadUsernames(_ name: String, _ message: String) {
        let error = AccountRules.validateUsername(name)
        #expect(error?.message == message)
        #expect(error?.field == "username")
    }

    @Test func emails() {
        #expect(AccountRules.validateEmail("a@example.org") == nil)
        #expect(AccountRules.validateEmail("")?.message == "Enter your email address.")
        for bad in ["plain", "@example.org", "a@b", "a@.org", "a@example.", "a b@example.org", "a@@example.org"] {
            #expect(AccountRules.validateEmail(bad)?.message == "Enter an email address like name@example.org.", "\(bad)")
        }
        #expect(AccountRules.validateEmail(String(repeating: "a", count: 250) + "@x.org")?.message == "That email address is too long.")
    }

    @Test func displayNames() {
        #expect(AccountRules.validateDisplayName("Ana María") == nil)
        #expect(AccountRules.validateDisplayName("   ")?.message == "Choose the name other players will see.")
        #expect(AccountRules.validateDisplayName(String(repeating: "x", count: 51))?.message == "A display name has at most 50 characters.")
        #expect(AccountRules.validateDisplayName("a\u{7}b")?.message == "A display name cannot contain control characters.")
    }

    @Test func passwords() {
        #expect(AccountRules.validatePassword("correct-horse-battery", username: "alice") == nil)
        #expect(AccountRules.validatePassword("", username: "alice")?.message == "Choose a password.")
        #expect(AccountRules.validatePassword("short", username: "alice")?.message == "A password has at least 10 characters.")
        #expect(AccountRules.validatePassword(String(repeating: "ab", count: 65), username: "x")?.message == "A password has at most 128 characters.")
        #expect(AccountRules.validatePassword("xxALICExx-123", username: "alice")?.message == "The password must not contain your username.")
        #expect(AccountRules.validatePassword("Password123", username: "bob")?.message == "This password is too easy to guess.")
        #expect(AccountRules.validatePassword("aaaaaaaaaaaa", username: "bob")?.message == "This password is too easy to guess.")
    }

    @Test func formTrimsAndCollectsErrorsPerField() {
        let form = RegistrationForm(username: "  alice ", email: "bad", displayName: " ", password: "correct-horse-battery")
        #expect(form.username == "alice")
        let errors = form.errors()
        #expect(Set(errors.keys) == [.email, .displayName])
        #expect(errors[.email]?.field == "email")
        #expect(errors[.displayName]?.field == "display_name")
    }
}
