import CanonTestSupport
import Foundation
import Testing

/// `canon schema check|render`, `canon compat check` and `canon datum validate` with XML Schema files.
@Suite struct XSDCLITests {
    static var libxml2: String { TestData.shared.appendingPathComponent("testdata/xsd/libxml2/test/schemas").path }
    static var apicurio: String { TestData.shared.appendingPathComponent("testdata/xsd/apicurio").path }

    @Test func schemaCheckCompilesWithIncludedFilesAndSaysWhereAnErrorIs() throws {
        // include1_0.xsd includes include1_0.inc from beside it.
        let ok = try CLITests.canon("schema", "check", "\(Self.libxml2)/include1_0.xsd")
        #expect(ok.status == 0 && ok.stdoutText.hasSuffix("include1_0.xsd: valid\n"), "\(ok.stdoutText)\(ok.stderr)")
        let bad = try CLITests.canon("schema", "check", "\(Self.apicurio)/validity/xml-schema-invalid-semantics.xsd")
        #expect(bad.status == 1)
        #expect(bad.stdoutText.contains("line 3") && bad.stdoutText.contains("'name' is required"), "\(bad.stdoutText)")
    }

    @Test func schemaRenderPrintsTheIdentityWhichIgnoresFormatting() throws {
        let a = try CLITests.temporaryFile(
            #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r" type="xs:string" nillable="true"/></xs:schema>"#,
            name: "a.xsd")
        let b = try CLITests.temporaryFile(
            "<?xml version=\"1.0\"?>\n<!-- c -->\n<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n  <xs:element nillable=\"true\"  type=\"xs:string\" name=\"r\" />\n</xs:schema>\n",
            name: "b.xsd")
        let first = try CLITests.canon("schema", "render", a), second = try CLITests.canon("schema", "render", b)
        #expect(first.status == 0 && first.stdoutText == second.stdoutText, "\(first.stdoutText) vs \(second.stdoutText)")
    }

    @Test func compatCheckComparesXMLSchemasByXPath() throws {
        let base = "\(Self.apicurio)/compatibility/base-schema.xsd"
        let required = "\(Self.apicurio)/compatibility/backward-incompatible-schema-add-required.xsd"
        let refused = try CLITests.canon("compat", "check", "--level", "BACKWARD", "--new", required, "--previous", base)
        #expect(refused.status == 1)
        #expect(refused.stdoutText.contains("CONTENT_ENDS_EARLY") && refused.stdoutText.contains("/person"), "\(refused.stdoutText)")
        // age made required: the old schema reads every new document.
        let minOccurs = "\(Self.apicurio)/compatibility/backward-incompatible-schema-increase-minoccurs.xsd"
        let forward = try CLITests.canon("compat", "check", "--level", "FORWARD", "--new", minOccurs, "--previous", base, "--json")
        #expect(forward.status == 0 && forward.stdoutText == "{\"is_compatible\":true,\"messages\":[]}\n", "\(forward.stdoutText)")
    }

    @Test func datumValidateJudgesEachXMLFileAndNamesTheElement() throws {
        let valid = try CLITests.canon("datum", "validate", "--schema", "\(Self.libxml2)/po0_0.xsd", "\(Self.libxml2)/po0_0.xml")
        #expect(valid.status == 0 && valid.stdoutText.hasSuffix("po0_0.xml: valid\n"), "\(valid.stdoutText)\(valid.stderr)")
        let schema = try CLITests.temporaryFile(
            #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="n"><xs:complexType><xs:sequence><xs:element name="v" type="xs:int" maxOccurs="3"/></xs:sequence></xs:complexType></xs:element></xs:schema>"#,
            name: "n.xsd")
        let bad = try CLITests.canon("datum", "validate", "--schema", schema, input: "<n>\n<v>1</v>\n<v>x</v>\n</n>")
        #expect(bad.status == 1)
        #expect(bad.stdoutText.contains("-: line 3, element /n/v[2]"), "\(bad.stdoutText)")
        let dtd = try CLITests.canon(
            "datum", "validate", "--schema", schema, input: #"<!DOCTYPE n [<!ENTITY x SYSTEM "file:///etc/passwd">]><n><v>&x;</v></n>"#)
        #expect(dtd.status == 1 && dtd.stdoutText.contains("DTD"), "\(dtd.stdoutText)")
    }
}
