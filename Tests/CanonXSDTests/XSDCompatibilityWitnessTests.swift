import CanonCore
import Testing

@testable import CanonXSD

/// Cases where a careless checker says "compatible" though a document valid under the writer is
/// refused by the reader. Each has its witness document, which libxml2 itself judges: valid under the
/// writer, invalid under the reader; the checker must then say BACKWARD-incompatible (writer old,
/// reader new).
struct XSDCompatibilityWitnessTests {
    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var writer: String
        var reader: String
        var witness: String
        var testDescription: String { name }
    }

    static func schema(_ body: String) -> String {
        #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:x="urn:x">\#(body)</xs:schema>"#
    }

    static let cases: [Case] = [
        Case(
            name: "a reader attribute the writer's skip wildcard admits with any value",
            writer: #"<xs:element name="e"><xs:complexType><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>"#,
            reader:
                #"<xs:element name="e"><xs:complexType><xs:attribute name="x" type="xs:int"/><xs:anyAttribute processContents="skip"/></xs:complexType></xs:element>"#,
            witness: #"<e x="abc"/>"#),
        Case(
            name: "an extension's attribute wildcard unites with its base's",
            writer:
                ###"<xs:complexType name="B"><xs:anyAttribute namespace="##any" processContents="skip"/></xs:complexType><xs:element name="e"><xs:complexType><xs:complexContent><xs:extension base="B"><xs:anyAttribute namespace="urn:x" processContents="skip"/></xs:extension></xs:complexContent></xs:complexType></xs:element>"###,
            reader:
                #"<xs:element name="e"><xs:complexType><xs:anyAttribute namespace="urn:x" processContents="skip"/></xs:complexType></xs:element>"#,
            witness: #"<e xmlns:y="urn:y" y:a="1"/>"#),
        Case(
            name: "a lax element wildcard validates by the reader's global declarations",
            writer:
                #"<xs:element name="e"><xs:complexType><xs:sequence><xs:any processContents="lax"/></xs:sequence></xs:complexType></xs:element>"#,
            reader:
                #"<xs:element name="e"><xs:complexType><xs:sequence><xs:any processContents="lax"/></xs:sequence></xs:complexType></xs:element><xs:element name="extra" type="xs:int"/>"#,
            witness: "<e><extra>abc</extra></e>"),
        Case(
            name: "a whiteSpace collapse the reader lacks before its pattern",
            writer:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:string"><xs:whiteSpace value="collapse"/><xs:pattern value="[a-z]+"/></xs:restriction></xs:simpleType></xs:element>"#,
            reader:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[a-z]+"/></xs:restriction></xs:simpleType></xs:element>"#,
            witness: "<v> abc </v>"),
        Case(
            name: "a token's length counted after collapsing, a string's before",
            writer:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:token"><xs:maxLength value="3"/></xs:restriction></xs:simpleType></xs:element>"#,
            reader:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:string"><xs:maxLength value="3"/></xs:restriction></xs:simpleType></xs:element>"#,
            witness: "<v>  ab  </v>"),
        Case(
            name: "an enumerated int has other lexical forms than its values'",
            writer:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:int"><xs:enumeration value="1"/></xs:restriction></xs:simpleType></xs:element>"#,
            reader:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="[0-9]"/></xs:restriction></xs:simpleType></xs:element>"#,
            witness: "<v>01</v>"),
        Case(
            name: "a string value an integer type does not read",
            writer:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:string"><xs:enumeration value="1.0"/></xs:restriction></xs:simpleType></xs:element>"#,
            reader: #"<xs:element name="v" type="xs:int"/>"#,
            witness: "<v>1.0</v>"),
        Case(
            name: "a decimal with no fraction digits is not an integer lexically",
            writer:
                #"<xs:element name="v"><xs:simpleType><xs:restriction base="xs:decimal"><xs:fractionDigits value="0"/></xs:restriction></xs:simpleType></xs:element>"#,
            reader: #"<xs:element name="v" type="xs:integer"/>"#,
            witness: "<v>1.</v>"),
        Case(
            name: "text-only mixed content against empty content",
            writer: #"<xs:element name="e"><xs:complexType mixed="true"/></xs:element>"#,
            reader: #"<xs:element name="e"><xs:complexType/></xs:element>"#,
            witness: "<e>hi</e>"),
        Case(
            name: "a fixed attribute value the reader's type may not read",
            writer:
                #"<xs:element name="e"><xs:complexType><xs:attribute name="a" type="xs:string" fixed="abc"/></xs:complexType></xs:element>"#,
            reader: #"<xs:element name="e"><xs:complexType><xs:attribute name="a" type="xs:date"/></xs:complexType></xs:element>"#,
            witness: #"<e a="abc"/>"#),
        Case(
            name: "a type made abstract",
            writer: #"<xs:complexType name="T"/><xs:element name="e" type="T"/>"#,
            reader: #"<xs:complexType name="T" abstract="true"/><xs:element name="e" type="T"/>"#,
            witness: "<e/>"),
        Case(
            name: "a head that blocks substitution",
            writer:
                #"<xs:element name="h" type="xs:string"/><xs:element name="s" substitutionGroup="h" type="xs:string"/><xs:element name="e"><xs:complexType><xs:sequence><xs:element ref="h"/></xs:sequence></xs:complexType></xs:element>"#,
            reader:
                #"<xs:element name="h" type="xs:string" block="substitution"/><xs:element name="s" substitutionGroup="h" type="xs:string"/><xs:element name="e"><xs:complexType><xs:sequence><xs:element ref="h"/></xs:sequence></xs:complexType></xs:element>"#,
            witness: "<e><s>x</s></e>"),
        Case(
            name: "an all group item with maxOccurs 0",
            writer:
                #"<xs:element name="e"><xs:complexType><xs:all><xs:element name="a" minOccurs="0"/></xs:all></xs:complexType></xs:element>"#,
            reader:
                #"<xs:element name="e"><xs:complexType><xs:all><xs:element name="a" minOccurs="0" maxOccurs="0"/></xs:all></xs:complexType></xs:element>"#,
            witness: "<e><a/></e>"),
        Case(
            name: "an empty choice matches nothing",
            writer: #"<xs:element name="e"><xs:complexType><xs:sequence/></xs:complexType></xs:element>"#,
            reader: #"<xs:element name="e"><xs:complexType><xs:choice/></xs:complexType></xs:element>"#,
            witness: "<e/>"),
        Case(
            name: "a complex writer with an attribute wildcard against a simple reader",
            writer:
                #"<xs:element name="e"><xs:complexType><xs:simpleContent><xs:extension base="xs:string"><xs:anyAttribute processContents="skip"/></xs:extension></xs:simpleContent></xs:complexType></xs:element>"#,
            reader: #"<xs:element name="e" type="xs:string"/>"#,
            witness: #"<e a="1">x</e>"#),
    ]

    @Test(arguments: cases)
    func theCheckerFindsWhatTheWitnessShows(_ c: Case) throws {
        let writer = try CompiledSchema(text: Self.schema(c.writer))
        let reader = try CompiledSchema(text: Self.schema(c.reader))
        let witness = Array(c.witness.utf8)
        #expect(try writer.validityErrors(witness).isEmpty, "the witness should be valid under the writer")
        #expect(try !reader.validityErrors(witness).isEmpty, "the witness should be invalid under the reader")
        let format = XSDFormat()
        let old = try format.makeParser().parse(Self.schema(c.writer)), new = try format.makeParser().parse(Self.schema(c.reader))
        let result = try CompatibilityLevel.backward.check(
            new, against: [old], using: SchemaCompatibilityChecker(formats: SchemaFormats([format])))
        #expect(!result.isCompatible, "\(c.name): judged compatible")
    }

    @Test func twoDeclarationsOfANameInOneContentModelAreSaidToBeUndecided() throws {
        // libxml2 compiles this though it breaks Element Declarations Consistent.
        let text = Self.schema(
            #"<xs:element name="e"><xs:complexType><xs:choice><xs:element name="m"><xs:simpleType><xs:restriction base="xs:duration"><xs:maxExclusive value="P1M"/></xs:restriction></xs:simpleType></xs:element><xs:element name="m"><xs:simpleType><xs:restriction base="xs:duration"><xs:maxInclusive value="P2M"/></xs:restriction></xs:simpleType></xs:element></xs:choice></xs:complexType></xs:element>"#
        )
        let schema = try XSDFormat().makeParser().parse(text)
        let messages = try XSDFormat().incompatibilities(reader: schema, writer: schema, readerRole: .new, budget: 100_000, policy: nil)
        #expect(!messages.isEmpty && messages.allSatisfy { $0.errorType == "ELEMENT_DECLARATIONS_INCONSISTENT" }, "\(messages.map(\.text))")
    }

    @Test func aChameleonIncludeIsComparedInItsIncludersNamespace() throws {
        let common =
            #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:complexType name="A"><xs:sequence><xs:element name="n" type="B"/></xs:sequence></xs:complexType><xs:simpleType name="B"><xs:restriction base="xs:int"/></xs:simpleType></xs:schema>"#
        let main =
            #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" xmlns:t="urn:t" targetNamespace="urn:t"><xs:include schemaLocation="common.xsd"/><xs:element name="e" type="t:A"/></xs:schema>"#
        var parser = XSDFormat().makeParser()
        try parser.load(reference: "common.xsd", schema: common, origin: "common")
        let schema = try parser.parse(main)
        #expect(try XSDFormat().incompatibilities(reader: schema, writer: schema, readerRole: .new, budget: 100_000, policy: nil).isEmpty)
    }

    @Test func nestedIncludesAreFoundByTheNamesTheyUse() throws {
        // "common/types.xsd" includes "base.xsd": libxml2 must ask for "base.xsd", not "common/base.xsd".
        let base =
            #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:simpleType name="B"><xs:restriction base="xs:int"/></xs:simpleType></xs:schema>"#
        let types = #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="base.xsd"/></xs:schema>"#
        let main =
            #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="common/types.xsd"/><xs:element name="e" type="B"/></xs:schema>"#
        let schema = try CompiledSchema(text: main, references: ["common/types.xsd": types, "base.xsd": base])
        #expect(try schema.validityErrors(Array("<e>3</e>".utf8)).isEmpty)
        let withBase =
            #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include xml:base="sub/" schemaLocation="base.xsd"/></xs:schema>"#
        #expect(throws: XSDError.self) { try CompiledSchema(text: withBase, references: ["base.xsd": base]) }
    }

    @Test func everySchemaErrorIsReportedWithItsLine() throws {
        let text =
            "<xs:schema xmlns:xs=\"http://www.w3.org/2001/XMLSchema\">\n<xs:element type=\"xs:string\"/>\n<xs:element type=\"xs:int\"/>\n</xs:schema>"
        do {
            _ = try CompiledSchema(text: text)
            Issue.record("compiled")
        } catch {
            #expect(error.line == 2, "\(error)")
            #expect(error.description.contains("line 3"), "\(error)")
        }
    }

    @Test func aLongChainOfDerivationsIsRefusedBeforeLibxml2CompilesIt() throws {
        var body = ""
        for i in 0..<5_000 { body += #"<xs:simpleType name="t\#(i)"><xs:restriction base="t\#(i + 1)"/></xs:simpleType>"# }
        body += #"<xs:simpleType name="t5000"><xs:restriction base="xs:int"/></xs:simpleType>"#
        do {
            _ = try CompiledSchema(text: Self.schema(body))
            Issue.record("compiled")
        } catch {
            #expect(error.isLimit && error.message.contains("deep"), "\(error)")
        }
        // And more components than the limit.
        let many = (0..<10_001).map { #"<xs:element name="e\#($0)"/>"# }.joined()
        #expect(throws: XSDError.self) { try CompiledSchema(text: Self.schema(many)) }
        // Nesting through element types, too.
        var nest = ""
        for i in 0..<300 {
            nest +=
                #"<xs:complexType name="T\#(i)"><xs:sequence><xs:element name="c" type="T\#(i + 1)" minOccurs="0"/></xs:sequence></xs:complexType>"#
        }
        nest += #"<xs:complexType name="T300"/>"#
        #expect(throws: XSDError.self) { try CompiledSchema(text: Self.schema(nest)) }
    }

    @Test func aRecordWithManyErrorsCostsOneErrorsWork() throws {
        let schema = try CompiledSchema(
            text: Self.schema(
                #"<xs:element name="r"><xs:complexType><xs:sequence><xs:element name="v" type="xs:int" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>"#
            ))
        let record = Array(("<r>" + String(repeating: "<v>x</v>", count: 200_000) + "</r>").utf8)
        // Only the first error is kept (each one's element path walks its siblings): the rest are counted.
        let errors = try schema.validityErrors(record, limit: 1)
        #expect(errors.count == 1 && errors.first?.path == "/r/v[1]", "\(errors.first.map { "\($0)" } ?? "")")
        #expect(throws: XSDError.self) { try schema.validate(record) }
    }
}
