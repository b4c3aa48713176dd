/// A rule of the product was broken. The message is written for the person who broke it.
public struct DomainError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Which input the error is about (a form field name), when there is one.
    public let field: String?
    public let message: String

    public init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }

    public var description: String { message }
}
