@testable import CanonCodegen
import Testing

/// A broken schema or config is reported with the file and the problem; every problem at once.
@Suite struct DiagnosticTests {
    func diagnostics(_ files: [SourceFile], config: String? = nil) -> [Diagnostic] {
        do {
            _ = try CanonCodegen.generate(schemaFiles: files, config: config.map { SourceFile(path: "canon-codegen.json", contents: $0) })
            Issue.record("generation succeeded")
            return []
        } catch {
            return error.diagnostics
        }
    }

    let money = SourceFile(
        path: "common/Money.avsc", contents: #"{"type":"record","name":"Money","namespace":"x","fields":[{"name":"cents","type":"long"}]}"#)

    @Test func aTypeMayBeUsedBeforeTheFileDefiningItAndInAnyOrder() throws {
        let order = SourceFile(
            path: "a/Order.avsc",
            contents: #"{"type":"record","name":"Order","namespace":"x","fields":[{"name":"total","type":"x.Money"}]}"#)
        for files in [[order, money], [money, order]] {
            let out = try CanonCodegen.generate(schemaFiles: files)
            #expect(out.map(\.name).sorted() == ["a_Order.avsc.swift", "common_Money.avsc.swift"])
            #expect(out.first { $0.name == "a_Order.avsc.swift" }!.contents.contains("public var total: Money"))
        }
    }

    @Test func everyBrokenFileIsReportedAtOnceWithItsName() {
        let badJSON = SourceFile(path: "bad.avsc", contents: #"{"type": "record", "#)
        let unknown = SourceFile(path: "unknown.avsc", contents: #"{"type":"record","name":"A","fields":[{"name":"b","type":"Nowhere"}]}"#)
        let badDefault = SourceFile(
            path: "default.avsc", contents: #"{"type":"record","name":"D","fields":[{"name":"n","type":"int","default":"x"}]}"#)
        let d = diagnostics([badJSON, unknown, badDefault, money])
        #expect(d.map(\.file) == ["bad.avsc", "unknown.avsc", "default.avsc"])
        #expect(d[0].message.contains("line 1"))
        #expect(d[1].message.contains("Nowhere"))
        #expect(d[2].message.contains("default"))
        #expect(d.allSatisfy { $0.description.hasPrefix("\($0.file): error: ") })
    }

    @Test func aNameDefinedTwiceNamesBothFiles() {
        let again = SourceFile(path: "other/Money.avsc", contents: money.contents)
        let d = diagnostics([money, again])
        #expect(d.count == 1)
        #expect(d[0].file == "other/Money.avsc" && d[0].message.contains("x.Money") && d[0].message.contains("common/Money.avsc"))
    }

    @Test func simpleNamesThatCollideNameBothSchemasAndTheOption() throws {
        let other = SourceFile(
            path: "y/Money.avsc", contents: #"{"type":"record","name":"Money","namespace":"y","fields":[{"name":"c","type":"int"}]}"#)
        let d = diagnostics([money, other])
        #expect(d.count == 1)
        #expect(
            d[0].message.contains("x.Money") && d[0].message.contains("y.Money") && d[0].message.contains("common/Money.avsc")
                && d[0].message.contains("typeNames"))
        // The option resolves it.
        let out = try CanonCodegen.generate(
            schemaFiles: [money, other],
            config: SourceFile(path: "canon-codegen.json", contents: #"{"typeNames": {"y.Money": "OtherMoney"}}"#))
        #expect(out.contains { $0.contents.contains("public struct OtherMoney: CanonAvro.AvroRecord") })
    }

    @Test func configProblemsNameTheSettingAndThePath() {
        #expect(diagnostics([money], config: #"{"acess": "public"}"#).first?.message.contains("unknown setting 'acess'") == true)
        #expect(diagnostics([money], config: #"{"access": "open"}"#).first?.message.contains("/access") == true)
        #expect(diagnostics([money], config: "[1,").first?.message.contains("not valid JSON") == true)
        #expect(
            diagnostics([money], config: #"{"topics": [{"topic": "t", "key": "string"}]}"#).first?.message.contains("needs 'value'") == true
        )
        let missing = diagnostics([money], config: #"{"topics": [{"topic": "t", "key": "strng", "value": "x.Nope"}]}"#)
        #expect(missing.count == 2)
        #expect(missing.allSatisfy { $0.file == "canon-codegen.json" })
        #expect(missing[0].message.contains("/topics/0/key") && missing[0].message.contains("strng"))
        #expect(missing[1].message.contains("/topics/0/value") && missing[1].message.contains("x.Nope"))
        // A config problem and a schema problem are both reported.
        let both = diagnostics([money, SourceFile(path: "bad.avsc", contents: "{")], config: #"{"bogus": 1}"#)
        #expect(Set(both.map(\.file)) == ["canon-codegen.json", "bad.avsc"])
    }

    @Test func schemasSwiftCannotRepresentAndCollidingOutputsAreErrors() {
        let emptyEnum = SourceFile(path: "e.avsc", contents: #"{"type":"enum","name":"E","symbols":[]}"#)
        #expect(diagnostics([emptyEnum]).first?.message.contains("no symbols") == true)
        let emptyUnion = SourceFile(path: "u.avsc", contents: #"{"type":"record","name":"U","fields":[{"name":"x","type":[]}]}"#)
        #expect(diagnostics([emptyUnion]).first?.message.contains("empty union") == true)
        let one = SourceFile(path: "a/b_c.avsc", contents: #"{"type":"record","name":"One","fields":[]}"#)
        let two = SourceFile(path: "a_b/c.avsc", contents: #"{"type":"record","name":"Two","fields":[]}"#)
        let d = diagnostics([one, two])
        #expect(d.count == 1 && d[0].file == "a_b/c.avsc" && d[0].message.contains("a/b_c.avsc"))
    }

    @Test func configNamesMustBeUsableAndMustNameSchemas() {
        #expect(diagnostics([money], config: #"{"typeNames": {"x.Money": "enum"}}"#).first?.message.contains("/typeNames/x.Money") == true)
        #expect(
            diagnostics([money], config: #"{"typeNames": {"x.Nope": "Nope"}}"#).first?.message.contains("'x.Nope', which no schema defines")
                == true)
        #expect(
            diagnostics([money], config: #"{"topics": [{"topic": "t", "key": "string", "value": "x.Money", "swiftName": "class"}]}"#).first?
                .message.contains("swiftName") == true)
    }

    @Test func theAccessLevelAppliesToEveryDeclaration() throws {
        for access in ["internal", "package"] {
            let out = try CanonCodegen.generate(
                schemaFiles: [money],
                config: SourceFile(
                    path: "canon-codegen.json",
                    contents: #"{"access": "\#(access)", "topics": [{"topic": "t", "key": "string", "value": "x.Money"}]}"#))
            for file in out {
                #expect(!file.contents.contains("public "), "\(file.name)")
                #expect(file.contents.contains("\(access) struct") || file.contents.contains("\(access) enum"), "\(file.name)")
            }
        }
    }

    @Test func aLineBreakInADocCannotEndTheComment() throws {
        let doc = SourceFile(
            path: "d.avsc", contents: #"{"type":"record","name":"D","doc":"one\rstruct Injected {}\u2028two","fields":[]}"#)
        let out = try CanonCodegen.generate(schemaFiles: [doc])
        let lines = out[0].contents.split(separator: "\n")
        #expect(lines.contains("/// struct Injected {}") && !lines.contains { $0.hasPrefix("struct Injected") })
    }

    @Test func swiftCasingOfNames() {
        #expect(SwiftNaming.typeName("order_placed") == "OrderPlaced")
        #expect(SwiftNaming.typeName("OrderPlaced") == "OrderPlaced")
        #expect(SwiftNaming.memberName("IN_TRANSIT") == "inTransit")
        #expect(SwiftNaming.memberName("customer_id") == "customerId")
        #expect(SwiftNaming.memberName("HTTPStatus") == "httpStatus")
        #expect(SwiftNaming.memberNames(["a_b", "aB"]) == ["a_b", "aB"])
        #expect(SwiftNaming.memberNames(["class", "Type"]) == ["`class`", "type"])
    }
}
