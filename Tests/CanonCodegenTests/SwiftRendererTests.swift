import Testing

@testable import CanonCodegen

/// The one renderer: structured Swift in, source text out.
@Suite struct SwiftRendererTests {
    let renderer = SwiftRenderer()

    @Test func typesAreWrittenAsDeclared() {
        #expect(renderer.type(.optional(.array(.name("Swift.String")))) == "[Swift.String]?")
        #expect(renderer.type(.generic("CanonAvro.AvroMap", [.optional(.name("Swift.Int64"))])) == "CanonAvro.AvroMap<Swift.Int64?>")
        #expect(renderer.type(.array(.array(.name("Swift.UInt8")))) == "[[Swift.UInt8]]")
    }

    @Test func stringLiteralsEscapeWhatMustBeEscaped() {
        #expect(SwiftRenderer.stringLiteral("a\"b\\c") == #""a\"b\\c""#)
        #expect(SwiftRenderer.stringLiteral("line\nnext\r\ttab") == #""line\nnext\r\ttab""#)
        // Control, C1, format and line/paragraph separator characters are written as escapes, so a doc
        // string or default cannot end the literal or hide text.
        #expect(SwiftRenderer.stringLiteral("\u{0}\u{7F}\u{85}\u{200B}\u{2028}\u{2029}") == #""\u{0}\u{7f}\u{85}\u{200b}\u{2028}\u{2029}""#)
        #expect(SwiftRenderer.stringLiteral("café 🎉") == "\"café 🎉\"")
    }

    @Test func numbersKeepTheirTypeAndSpecialValues() {
        #expect(renderer.literal(.double(1)) == "1.0")
        #expect(renderer.literal(.double(1e300)) == "1e+300")
        #expect(renderer.literal(.double(.nan)) == "Swift.Double.nan")
        #expect(renderer.literal(.double(-.infinity)) == "-Swift.Double.infinity")
        #expect(renderer.literal(.float(2)) == "2.0")
        #expect(renderer.literal(.float(.infinity)) == "Swift.Float.infinity")
        #expect(renderer.literal(.int(Int64.min)) == "-9223372036854775808")
        #expect(renderer.literal(.uint(UInt64.max)) == "18446744073709551615")
        #expect(renderer.literal(.dictionary([])) == "[:]")
        #expect(renderer.literal(.array([.int(1), .string("x")])) == #"[1, "x"]"#)
    }

    @Test func expressionsNestAsBuilt() {
        let call = SwiftExpr.method(.identifier("reader"), "read", [.init("count", .int(3)), .init(.inout(.identifier("buffer")))])
        #expect(renderer.expression(.try(call)) == "try reader.read(count: 3, &buffer)")
        #expect(renderer.expression(.member(nil, "none")) == ".none")
        #expect(renderer.expression(.binary(.identifier("a"), "??", .literal(.nil))) == "a ?? nil")
        let closure = SwiftClosure(
            parameters: [SwiftParameter(name: "w", type: .name("W"), isInout: true)], throwing: .typed(.name("CanonAvro.AvroError")),
            body: .identifier("w"))
        #expect(renderer.expression(.closure(closure)) == "{ (w: inout W) throws(CanonAvro.AvroError) in w }")
    }

    @Test func aFileHasItsHeaderImportsAndOneBlankLineBetweenDeclarations() {
        let file = SwiftFile(
            header: ["Generated. Do not edit."], imports: ["CanonAvro", "Foundation"],
            declarations: [
                .type(
                    SwiftTypeDeclaration(
                        doc: "A thing.\nOn two lines.", access: .public, kind: .enum, name: "Kind", inherits: ["Swift.String"],
                        members: [
                            .enumCase(name: "a", rawValue: "A", associated: nil, doc: nil),
                            .enumCase(name: "b", rawValue: nil, associated: nil, doc: "The b case."),
                        ])),
                .typealias(access: .internal, name: "K", type: .name("Kind")),
            ])
        #expect(
            SwiftRenderer.render(file) == """
                // Generated. Do not edit.

                import CanonAvro
                import Foundation

                /// A thing.
                /// On two lines.
                public enum Kind: Swift.String {
                    case a = "A"
                    /// The b case.
                    case b
                }

                internal typealias K = Kind

                """)
    }
}
