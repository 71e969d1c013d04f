import Foundation

/// Prints structured Swift as source text: the one place generated code becomes text.
///
/// Output is deterministic (it depends on the declarations alone), indented by four spaces, with one
/// blank line between members that have bodies.
struct SwiftRenderer {
    private var out = ""
    private var level = 0

    /// Renders a whole file.
    static func render(_ file: SwiftFile) -> String {
        var r = SwiftRenderer()
        for line in file.header { r.line("// \(line)") }
        if !file.header.isEmpty { r.line("") }
        for i in file.imports { r.line("import \(i)") }
        for d in file.declarations {
            r.line("")
            r.declaration(d)
        }
        return r.out
    }

    private mutating func line(_ text: String) {
        if text.isEmpty {
            out += "\n"
        } else {
            out += String(repeating: "    ", count: level) + text + "\n"
        }
    }

    private mutating func doc(_ text: String?) {
        guard let text else { return }
        // Any line break ends a comment line, so a `\r` or U+2028 in a schema's `doc` cannot start code.
        for l in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline) {
            let trimmed = l.drop { $0 == " " }
            line(trimmed.isEmpty ? "///" : "/// \(trimmed)")
        }
    }

    private func prefix(_ access: SwiftAccess?, _ modifiers: [String]) -> String {
        ([access?.rawValue].compactMap { $0 } + modifiers).map { $0 + " " }.joined()
    }

    // MARK: - Declarations

    private mutating func declaration(_ d: SwiftDeclaration) {
        switch d {
        case .type(let t): typeDeclaration(t)
        case .function(let f): function(f)
        case .variable(let v): variable(v)
        case .enumCase(let name, let raw, let associated, let docText):
            doc(docText)
            var text = "case \(name)"
            if let associated { text += "(\(type(associated)))" }
            if let raw { text += " = \(literal(.string(raw)))" }
            line(text)
        case .typealias(let access, let name, let t):
            line("\(prefix(access, []))typealias \(name) = \(type(t))")
        }
    }

    private static func hasBody(_ d: SwiftDeclaration) -> Bool {
        switch d {
        case .type, .function: return true
        case .variable(let v): return v.getter != nil
        case .enumCase, .typealias: return false
        }
    }

    private mutating func typeDeclaration(_ t: SwiftTypeDeclaration) {
        doc(t.doc)
        let inherits = t.inherits.isEmpty ? "" : ": " + t.inherits.joined(separator: ", ")
        line("\(prefix(t.access, t.modifiers))\(t.kind.rawValue) \(t.name)\(inherits) {")
        level += 1
        var previous: SwiftDeclaration?
        for m in t.members {
            if let p = previous, Self.hasBody(p) || Self.hasBody(m) { line("") }
            declaration(m)
            previous = m
        }
        level -= 1
        line("}")
    }

    private func parameters(_ ps: [SwiftParameter]) -> String {
        ps.map { p in
            var text = p.label.map { $0 == p.name.trimmingCharacters(in: ["`"]) ? p.name : "\($0) \(p.name)" } ?? p.name
            text += ": " + (p.isInout ? "inout " : "") + type(p.type)
            if let d = p.defaultValue { text += " = " + expression(d) }
            return text
        }.joined(separator: ", ")
    }

    private func effects(_ throwing: SwiftThrows) -> String {
        var text = ""
        switch throwing {
        case .none: break
        case .untyped: text += " throws"
        case .typed(let t): text += " throws(\(type(t)))"
        }
        return text
    }

    private mutating func function(_ f: SwiftFunction) {
        doc(f.doc)
        for a in f.attributes { line(a) }
        let name = f.name == "init" ? "init" : "func \(f.name)"
        let returns = f.returns.map { " -> \(type($0))" } ?? ""
        let generics = f.genericParameters.isEmpty ? "" : "<" + f.genericParameters.joined(separator: ", ") + ">"
        line("\(prefix(f.access, f.modifiers))\(name)\(generics)(\(parameters(f.parameters)))\(effects(f.throwing))\(returns) {")
        block(f.body)
        line("}")
    }

    private mutating func variable(_ v: SwiftVariable) {
        doc(v.doc)
        for a in v.attributes { line(a) }
        var head = "\(prefix(v.access, v.modifiers))\(v.mutable || v.getter != nil ? "var" : "let") \(v.name)"
        if let t = v.type { head += ": \(type(t))" }
        if let getter = v.getter {
            if let setter = v.setter {
                line(head + " {")
                level += 1
                line("get {")
                block(getter)
                line("}")
                line("set {")
                block(setter)
                line("}")
                level -= 1
                line("}")
            } else if getter.count == 1, case .return(let e?) = getter[0], !expression(e).contains("\n") {
                line(head + " { \(expression(e)) }")
            } else {
                line(head + " {")
                block(getter)
                line("}")
            }
        } else {
            if let value = v.value { head += " = " + expression(value) }
            line(head)
        }
    }

    // MARK: - Statements

    private mutating func block(_ statements: [SwiftStatement]) {
        level += 1
        for s in statements { statement(s) }
        level -= 1
    }

    private mutating func statement(_ s: SwiftStatement) {
        switch s {
        case .expression(let e): line(expression(e))
        case .declaration(let mutable, let name, let t, let value):
            var text = "\(mutable ? "var" : "let") \(name)"
            if let t { text += ": \(type(t))" }
            if let value { text += " = \(expression(value))" }
            line(text)
        case .assign(let target, let value): line("\(expression(target)) = \(expression(value))")
        case .return(let e): line(e.map { "return \(expression($0))" } ?? "return")
        case .throw(let e): line("throw \(expression(e))")
        case .ifLet(let name, let value, let then, let otherwise):
            line("if let \(name) = \(expression(value)) {")
            elseChain(then, otherwise)
        case .switch(let subject, let cases):
            line("switch \(expression(subject)) {")
            for c in cases {
                if c.patterns.isEmpty {
                    line("default:")
                } else {
                    line("case " + c.patterns.map(pattern).joined(separator: ", ") + ":")
                }
                block(c.body.isEmpty ? [.break] : c.body)
            }
            line("}")
        case .break: line("break")
        }
    }

    private mutating func elseChain(_ then: [SwiftStatement], _ otherwise: [SwiftStatement]?) {
        block(then)
        if let otherwise {
            line("} else {")
            block(otherwise)
        }
        line("}")
    }

    private func pattern(_ p: SwiftPattern) -> String {
        switch p {
        case .enumCase(let name, let binding): return binding.map { ".\(name)(let \($0))" } ?? ".\(name)"
        case .expression(let e): return expression(e)
        }
    }

    // MARK: - Expressions and types

    func type(_ t: SwiftType) -> String {
        switch t {
        case .name(let n): return n
        case .optional(let w): return type(w) + "?"
        case .array(let e): return "[\(type(e))]"
        case .dictionary(let k, let v): return "[\(type(k)): \(type(v))]"
        case .generic(let n, let args): return "\(n)<\(args.map(type).joined(separator: ", "))>"
        }
    }

    func expression(_ e: SwiftExpr) -> String {
        switch e {
        case .identifier(let n): return n
        case .member(let base, let name): return (base.map(expression) ?? "") + "." + name
        case .call(let callee, let args):
            let list = args.map { a in (a.label.map { "\($0): " } ?? "") + expression(a.value) }.joined(separator: ", ")
            return "\(expression(callee))(\(list))"
        case .literal(let l): return literal(l)
        case .try(let inner): return "try " + expression(inner)
        case .inout(let inner): return "&" + expression(inner)
        case .binary(let l, let op, let r): return "\(expression(l)) \(op) \(expression(r))"
        case .type(let t): return type(t)
        case .closure(let c):
            let returns = c.returns.map { " -> \(type($0))" } ?? ""
            let body = (c.prelude + [c.body]).map(expression).joined(separator: "; ")
            return "{ (\(parameters(c.parameters)))\(effects(c.throwing))\(returns) in \(body) }"
        }
    }

    func literal(_ l: SwiftLiteral) -> String {
        switch l {
        case .string(let s): return Self.stringLiteral(s)
        case .int(let i): return String(i)
        case .uint(let u): return String(u)
        case .double(let d):
            if d.isNaN { return "Swift.Double.nan" }
            if d.isInfinite { return d < 0 ? "-Swift.Double.infinity" : "Swift.Double.infinity" }
            let text = "\(d)"
            return text.contains(where: { $0 == "." || $0 == "e" || $0 == "n" || $0 == "i" }) ? text : text + ".0"
        case .bool(let b): return b ? "true" : "false"
        case .float(let f):
            if f.isNaN { return "Swift.Float.nan" }
            if f.isInfinite { return f < 0 ? "-Swift.Float.infinity" : "Swift.Float.infinity" }
            let text = "\(f)"
            return text.contains(where: { $0 == "." || $0 == "e" }) ? text : text + ".0"
        case .tuple(let items): return "(" + items.map(expression).joined(separator: ", ") + ")"
        case .nil: return "nil"
        case .array(let items): return "[" + items.map(expression).joined(separator: ", ") + "]"
        case .dictionary(let pairs):
            if pairs.isEmpty { return "[:]" }
            return "[" + pairs.map { "\(expression($0.key)): \(expression($0.value))" }.joined(separator: ", ") + "]"
        }
    }

    /// A Swift string literal with every character that needs it escaped.
    static func stringLiteral(_ s: String) -> String {
        var text = "\""
        for scalar in s.unicodeScalars {
            switch scalar {
            case "\\": text += "\\\\"
            case "\"": text += "\\\""
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case _
            where scalar.value < 0x20 || scalar.value == 0x7F || (0x80...0x9F).contains(scalar.value)
                || scalar.properties.generalCategory == .format
                || scalar.properties.generalCategory == .lineSeparator || scalar.properties.generalCategory == .paragraphSeparator:
                text += "\\u{\(String(scalar.value, radix: 16))}"
            default: text.unicodeScalars.append(scalar)
            }
        }
        return text + "\""
    }
}
