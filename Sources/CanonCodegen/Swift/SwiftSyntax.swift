// The structured Swift that the generator builds and the renderer prints: declarations, types,
// statements and expressions as values. Nothing in the generator writes Swift text directly; it builds
// these, and `SwiftRenderer` is the one place that turns them into source.

/// A Swift type as written in generated code. Library types are fully qualified by the translator.
indirect enum SwiftType: Hashable, Sendable {
    /// A (qualified) type name: `Swift.String`, `Foundation.UUID`, `OrderPlaced`.
    case name(String)
    case optional(SwiftType)
    case array(SwiftType)
    /// `[Key: Value]`.
    case dictionary(SwiftType, SwiftType)
    /// A generic type with arguments: `CanonAvro.AvroMap<Swift.String>`.
    case generic(String, [SwiftType])
}

/// A literal value.
enum SwiftLiteral: Hashable, Sendable {
    case string(String)
    case int(Int64)
    case uint(UInt64)
    case double(Double)
    case bool(Bool)
    case `nil`
    case array([SwiftExpr])
    case dictionary([SwiftExprPair])
    case tuple([SwiftExpr])
    case float(Float)
}

/// A key/value pair of a dictionary literal.
struct SwiftExprPair: Hashable, Sendable {
    var key: SwiftExpr
    var value: SwiftExpr
}

/// One argument of a call.
struct SwiftArgument: Hashable, Sendable {
    var label: String?
    var value: SwiftExpr

    init(_ value: SwiftExpr) {
        self.label = nil
        self.value = value
    }

    init(_ label: String, _ value: SwiftExpr) {
        self.label = label
        self.value = value
    }
}

/// An expression.
indirect enum SwiftExpr: Hashable, Sendable {
    /// A name: a variable, a type, `self`.
    case identifier(String)
    /// `base.member`, or `.member` when the base is nil (implicit member).
    case member(SwiftExpr?, String)
    case call(SwiftExpr, [SwiftArgument])
    case literal(SwiftLiteral)
    case `try`(SwiftExpr)
    /// `&name`.
    case `inout`(SwiftExpr)
    case binary(SwiftExpr, String, SwiftExpr)
    /// A type used as a value: `Swift.Int32.self` is `.member(.type(...), "self")`.
    case type(SwiftType)
    /// A closure with one expression as its body.
    case closure(SwiftClosure)

    static func method(_ base: SwiftExpr, _ name: String, _ arguments: [SwiftArgument] = []) -> SwiftExpr {
        .call(.member(base, name), arguments)
    }
    static func string(_ s: String) -> SwiftExpr { .literal(.string(s)) }
    static func int(_ i: Int) -> SwiftExpr { .literal(.int(Int64(i))) }
    static var selfExpr: SwiftExpr { .identifier("self") }
}

/// A closure: `{ (a: A, b: inout B) throws(E) -> R in body }`.
struct SwiftClosure: Hashable, Sendable {
    var parameters: [SwiftParameter]
    var throwing: SwiftThrows = .none
    var returns: SwiftType? = nil
    /// Expressions evaluated before `body`, on the same line (`a; b; body`).
    var prelude: [SwiftExpr] = []
    var body: SwiftExpr
}

/// A pattern of a `case` label.
enum SwiftPattern: Hashable, Sendable {
    /// `.name` or `.name(let binding)`.
    case enumCase(String, binding: String?)
    case expression(SwiftExpr)
}

/// One `case` of a `switch`; no patterns means `default`.
struct SwiftSwitchCase: Hashable, Sendable {
    var patterns: [SwiftPattern]
    var body: [SwiftStatement]
}

/// A statement.
indirect enum SwiftStatement: Hashable, Sendable {
    case expression(SwiftExpr)
    /// `let`/`var` name[: type] [= value].
    case declaration(mutable: Bool, name: String, type: SwiftType?, value: SwiftExpr?)
    case assign(SwiftExpr, SwiftExpr)
    case `return`(SwiftExpr?)
    case `throw`(SwiftExpr)
    /// `if let name = value { } else { }`.
    case ifLet(name: String, value: SwiftExpr, then: [SwiftStatement], else: [SwiftStatement]?)
    case `switch`(SwiftExpr, [SwiftSwitchCase])
    case `break`
}

/// Access level of a declaration.
enum SwiftAccess: String, Hashable, Sendable {
    case `public`, `package`, `internal`, `fileprivate`, `private`
}

/// A function parameter.
struct SwiftParameter: Hashable, Sendable {
    /// The argument label; `nil` means the same as `name`, `"_"` means none.
    var label: String?
    var name: String
    var type: SwiftType
    var isInout = false
    var defaultValue: SwiftExpr? = nil
}

/// Effects of a function.
enum SwiftThrows: Hashable, Sendable {
    case none
    case untyped
    /// `throws(Type)`.
    case typed(SwiftType)
}

/// A declaration.
indirect enum SwiftDeclaration: Hashable, Sendable {
    /// A struct, enum, class or extension with members.
    case type(SwiftTypeDeclaration)
    case function(SwiftFunction)
    case variable(SwiftVariable)
    /// `case name` / `case name = raw` / `case name(Type)`.
    case enumCase(name: String, rawValue: String?, associated: SwiftType?, doc: String?)
    case `typealias`(access: SwiftAccess?, name: String, type: SwiftType)
}

/// The kinds of type declarations.
enum SwiftTypeKind: String, Hashable, Sendable {
    case `struct`, `enum`, `extension`
}

/// A struct, enum, class or extension.
struct SwiftTypeDeclaration: Hashable, Sendable {
    var doc: String? = nil
    var access: SwiftAccess?
    var kind: SwiftTypeKind
    var modifiers: [String] = []
    var name: String
    var inherits: [String] = []
    var members: [SwiftDeclaration] = []
}

/// A function or initializer.
struct SwiftFunction: Hashable, Sendable {
    var doc: String? = nil
    var attributes: [String] = []
    var access: SwiftAccess?
    var modifiers: [String] = []
    /// `init` for an initializer.
    var name: String
    /// Generic parameters with their constraints: `W: CanonAvro.AvroWriting`.
    var genericParameters: [String] = []
    var parameters: [SwiftParameter] = []
    var throwing: SwiftThrows = .none
    var returns: SwiftType? = nil
    var body: [SwiftStatement]
}

/// A stored or computed property.
struct SwiftVariable: Hashable, Sendable {
    var doc: String? = nil
    var attributes: [String] = []
    var access: SwiftAccess?
    var modifiers: [String] = []
    var mutable: Bool
    var name: String
    var type: SwiftType?
    var value: SwiftExpr? = nil
    /// A computed property's getter; with `setter`, a get/set pair.
    var getter: [SwiftStatement]? = nil
    var setter: [SwiftStatement]? = nil
}

/// A generated Swift file.
struct SwiftFile: Hashable, Sendable {
    /// Comment lines at the top.
    var header: [String]
    var imports: [String]
    var declarations: [SwiftDeclaration]
}
