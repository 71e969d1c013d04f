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

    let money = SourceFile(path: "common/Money.avsc", contents: #"{"type":"record","name":"Money","namespace":"x","fields":[{"name":"cents","type":"long"}]}"#)

    @Test func aTypeMayBeUsedBeforeTheFileDefiningItAndInAnyOrder() throws {
        let order = SourceFile(path: "a/Order.avsc", contents: #"{"type":"record","name":"Order","namespace":"x","fields":[{"name":"total","type":"x.Money"}]}"#)
        for files in [[order, money], [money, order]] {
            let out = try CanonCodegen.generate(schemaFiles: files)
            #expect(out.map(\.name).sorted() == ["a_Order.avsc.swift", "common_Money.avsc.swift"])
            #expect(out.first { $0.name == "a_Order.avsc.swift" }!.contents.contains("public var total: Money"))
        }
    }

    @Test func everyBrokenFileIsReportedAtOnceWithItsName() {
        let badJSON = SourceFile(path: "bad.avsc", contents: #"{"type": "record", "#)
        let unknown = SourceFile(path: "unknown.avsc", contents: #"{"type":"record","name":"A","fields":[{"name":"b","type":"Nowhere"}]}"#)
        let badDefault = SourceFile(path: "default.avsc", contents: #"{"type":"record","name":"D","fields":[{"name":"n","type":"int","default":"x"}]}"#)
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
        let other = SourceFile(path: "y/Money.avsc", contents: #"{"type":"record","name":"Money","namespace":"y","fields":[{"name":"c","type":"int"}]}"#)
        let d = diagnostics([money, other])
        #expect(d.count == 1)
        #expect(d[0].message.contains("x.Money") && d[0].message.contains("y.Money") && d[0].message.contains("common/Money.avsc") && d[0].message.contains("typeNames"))
        // The option resolves it.
        let out = try CanonCodegen.generate(schemaFiles: [money, other], config: SourceFile(path: "canon-codegen.json", contents: #"{"typeNames": {"y.Money": "OtherMoney"}}"#))
        #expect(out.contains { $0.contents.contains("public struct OtherMoney: CanonAvro.AvroRecord") })
    }

    @Test func configProblemsNameTheSettingAndThePath() {
        #expect(diagnostics([money], config: #"{"acess": "public"}"#).first?.message.contains("unknown setting 'acess'") == true)
        #expect(diagnostics([money], config: #"{"access": "open"}"#).first?.message.contains("/access") == true)
        #expect(diagnostics([money], config: "[1,").first?.message.contains("not valid JSON") == true)
        #expect(diagnostics([money], config: #"{"topics": [{"topic": "t", "key": "string"}]}"#).first?.message.contains("needs 'value'") == true)
        let missing = diagnostics([money], config: #"{"topics": [{"topic": "t", "key": "strng", "value": "x.Nope"}]}"#)
        #expect(missing.count == 2)
        #expect(missing.allSatisfy { $0.file == "canon-codegen.json" })
        #expect(missing[0].message.contains("/topics/0/key") && missing[0].message.contains("strng"))
        #expect(missing[1].message.contains("/topics/0/value") && missing[1].message.contains("x.Nope"))
        // A config problem and a schema problem are both reported.
        let both = diagnostics([money, SourceFile(path: "bad.avsc", contents: "{")], config: #"{"bogus": 1}"#)
        #expect(Set(both.map(\.file)) == ["canon-codegen.json", "bad.avsc"])
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
