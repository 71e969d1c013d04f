import CanonCore
import Testing

@testable import CanonXSD

/// XML Schema compatibility beyond Apicurio's 20 cases: each rule in both directions, the transitive
/// levels, and the cases Apicurio's checker (which compares elements, attributes and types by name in
/// flat maps, and types by name equality) gets wrong.
struct XSDCompatibilityTests {
    static func schema(_ body: String, namespace: String? = nil) throws -> any ParsedSchema {
        let target = namespace.map { #" targetNamespace="\#($0)" xmlns="\#($0)" elementFormDefault="qualified""# } ?? ""
        return try XSDFormat().makeParser().parse(#"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"\#(target)>\#(body)</xs:schema>"#)
    }

    /// A `record` element whose type has `content` (a particle) and `attributes`, plus `types`.
    static func record(_ content: String, attributes: String = "", types: String = "") throws -> any ParsedSchema {
        try schema(#"<xs:element name="record"><xs:complexType>\#(content)\#(attributes)</xs:complexType></xs:element>\#(types)"#)
    }

    static func check(_ level: CompatibilityLevel, _ existing: [any ParsedSchema], _ proposed: any ParsedSchema, budget: Int = 2_000_000)
        throws
        -> CompatibilityResult
    {
        try level.check(
            proposed, against: existing, using: SchemaCompatibilityChecker(formats: SchemaFormats([XSDFormat()]), budget: budget))
    }

    /// BACKWARD and FORWARD verdicts of `old` -> `new`.
    static func verdicts(_ old: any ParsedSchema, _ new: any ParsedSchema) throws -> (backward: Bool, forward: Bool) {
        (try check(.backward, [old], new).isCompatible, try check(.forward, [old], new).isCompatible)
    }

    @Test func reorderingASequenceIsIncompatibleBothWaysThoughApicurioAcceptsIt() throws {
        let old = try Self.record(
            #"<xs:sequence><xs:element name="a" type="xs:string"/><xs:element name="b" type="xs:string"/></xs:sequence>"#)
        let new = try Self.record(
            #"<xs:sequence><xs:element name="b" type="xs:string"/><xs:element name="a" type="xs:string"/></xs:sequence>"#)
        let result = try Self.check(.backward, [old], new)
        #expect(!result.isCompatible)
        #expect(result.messages.contains { $0.contains("/record/a") && $0.contains("ELEMENT_NOT_ALLOWED") }, "\(result.messages)")
        #expect(try !Self.check(.forward, [old], new).isCompatible)
    }

    @Test func wideningIntToLongIsBackwardCompatibleThoughApicurioRefusesAnyTypeChange() throws {
        let old = try Self.record(#"<xs:sequence><xs:element name="n" type="xs:int"/></xs:sequence>"#)
        let new = try Self.record(#"<xs:sequence><xs:element name="n" type="xs:long"/></xs:sequence>"#)
        #expect(try Self.verdicts(old, new) == (true, false))
        let forward = try Self.check(.forward, [old], new)
        #expect(forward.messages.contains { $0.contains("/record/n") && $0.contains("SIMPLE_TYPE_NARROWED") }, "\(forward.messages)")
    }

    @Test func renamingANamedTypeIsFullyCompatibleThoughApicurioCallsItARemoval() throws {
        let person = #"<xs:sequence><xs:element name="name" type="xs:string"/></xs:sequence>"#
        let old = try Self.schema(#"<xs:element name="p" type="PersonType"/><xs:complexType name="PersonType">\#(person)</xs:complexType>"#)
        let new = try Self.schema(#"<xs:element name="p" type="Person"/><xs:complexType name="Person">\#(person)</xs:complexType>"#)
        #expect(try Self.check(.full, [old], new).isCompatible)
    }

    @Test func addingARangeWhereThereWasNoneNarrowsThoughApicurioComparesOnlyExistingBounds() throws {
        let old = try Self.record(#"<xs:sequence><xs:element name="price" type="xs:decimal"/></xs:sequence>"#)
        let new = try Self.record(
            #"<xs:sequence><xs:element name="price"><xs:simpleType><xs:restriction base="xs:decimal"><xs:maxExclusive value="100"/></xs:restriction></xs:simpleType></xs:element></xs:sequence>"#
        )
        #expect(try Self.verdicts(old, new) == (false, true))
    }

    @Test func exclusiveAndInclusiveBoundsAreComparedAtTheirEnds() throws {
        func price(_ facet: String) throws -> any ParsedSchema {
            try Self.record(
                #"<xs:sequence><xs:element name="price"><xs:simpleType><xs:restriction base="xs:decimal">\#(facet)</xs:restriction></xs:simpleType></xs:element></xs:sequence>"#
            )
        }
        // [.., 100] vs [.., 100): the writer's 100 is outside the reader's range.
        #expect(
            try Self.verdicts(try price(#"<xs:maxInclusive value="100"/>"#), try price(#"<xs:maxExclusive value="100"/>"#)) == (false, true)
        )
        #expect(
            try Self.verdicts(try price(#"<xs:minInclusive value="0.50"/>"#), try price(#"<xs:minInclusive value="0.5"/>"#)) == (true, true)
        )
    }

    @Test func occurrenceRangesCountBothWays() throws {
        let three = try Self.record(#"<xs:sequence><xs:element name="x" type="xs:string" maxOccurs="3"/></xs:sequence>"#)
        let unbounded = try Self.record(#"<xs:sequence><xs:element name="x" type="xs:string" maxOccurs="unbounded"/></xs:sequence>"#)
        #expect(try Self.verdicts(three, unbounded) == (true, false))
        let two = try Self.record(#"<xs:sequence><xs:element name="x" type="xs:string" minOccurs="2" maxOccurs="3"/></xs:sequence>"#)
        #expect(try Self.verdicts(three, two) == (false, true))
    }

    @Test func aSequenceBecomingAChoiceIsIncompatibleAndAChoiceWideningIsNot() throws {
        let elements = #"<xs:element name="a" type="xs:string"/><xs:element name="b" type="xs:string"/>"#
        let sequence = try Self.record("<xs:sequence>\(elements)</xs:sequence>")
        let choice = try Self.record("<xs:choice>\(elements)</xs:choice>")
        #expect(try Self.verdicts(sequence, choice) == (false, false))
        let wider = try Self.record(#"<xs:choice>\#(elements)<xs:element name="c" type="xs:int"/></xs:choice>"#)
        #expect(try Self.verdicts(choice, wider) == (true, false))
    }

    @Test func anAllGroupAcceptsEveryOrderASequenceDoesNot() throws {
        let all = try Self.record(#"<xs:all><xs:element name="a" type="xs:string"/><xs:element name="b" type="xs:string"/></xs:all>"#)
        let sequence = try Self.record(
            #"<xs:sequence><xs:element name="b" type="xs:string"/><xs:element name="a" type="xs:string"/></xs:sequence>"#)
        // Old data may have <a> before <b>: the sequence cannot read it; the all group reads the sequence's.
        #expect(try Self.verdicts(all, sequence) == (false, true))
    }

    @Test func aRequiredAttributeAndAnOptionalOneCompareAsTheyShould() throws {
        let content = #"<xs:sequence/>"#
        let optional = try Self.record(content, attributes: #"<xs:attribute name="id" type="xs:string"/>"#)
        let required = try Self.record(content, attributes: #"<xs:attribute name="id" type="xs:string" use="required"/>"#)
        let result = try Self.check(.backward, [optional], required)
        #expect(!result.isCompatible)
        #expect(result.messages.contains { $0.contains("/record/@id") && $0.contains("REQUIRED_ATTRIBUTE_ADDED") }, "\(result.messages)")
        #expect(try Self.check(.forward, [optional], required).isCompatible)
        let none = try Self.record(content)
        #expect(try Self.verdicts(optional, none) == (false, true))
    }

    @Test func lengthsAndEnumerationsNarrowAndWiden() throws {
        func code(_ facets: String) throws -> any ParsedSchema {
            try Self.record(
                #"<xs:sequence><xs:element name="code"><xs:simpleType><xs:restriction base="xs:string">\#(facets)</xs:restriction></xs:simpleType></xs:element></xs:sequence>"#
            )
        }
        #expect(try Self.verdicts(try code(#"<xs:maxLength value="10"/>"#), try code(#"<xs:maxLength value="5"/>"#)) == (false, true))
        // Enumerated values are checked against the other side's facets one by one, patterns included.
        let letters = try code(#"<xs:pattern value="[A-Z]{2}"/>"#)
        #expect(try Self.check(.backward, [try code(#"<xs:enumeration value="AB"/><xs:enumeration value="CD"/>"#)], letters).isCompatible)
        let result = try Self.check(.backward, [try code(#"<xs:enumeration value="AB"/><xs:enumeration value="C1"/>"#)], letters)
        #expect(!result.isCompatible)
        #expect(result.messages.contains { $0.contains("'C1'") }, "\(result.messages)")
    }

    @Test func twoDifferentPatternsAreJudgedIncompatibleAndTheMessageSaysWhy() throws {
        func code(_ pattern: String) throws -> any ParsedSchema {
            try Self.record(
                #"<xs:sequence><xs:element name="code"><xs:simpleType><xs:restriction base="xs:string"><xs:pattern value="\#(pattern)"/></xs:restriction></xs:simpleType></xs:element></xs:sequence>"#
            )
        }
        let result = try Self.check(.backward, [try code("[A-Z]{2}")], try code("[A-Z]+"))
        #expect(!result.isCompatible)
        #expect(result.messages.contains { $0.contains("not decided") }, "\(result.messages)")
    }

    @Test func aNewTargetNamespaceRemovesTheOldRootElement() throws {
        let body = #"<xs:element name="order" type="xs:string"/>"#
        let result = try Self.check(.backward, [try Self.schema(body, namespace: "urn:a")], try Self.schema(body, namespace: "urn:b"))
        #expect(!result.isCompatible)
        #expect(result.messages.contains { $0.contains("{urn:a}order") && $0.contains("ELEMENT_REMOVED") }, "\(result.messages)")
    }

    @Test func extendingABaseTypeWithAnOptionalElementIsBackwardCompatible() throws {
        let base = #"<xs:complexType name="Base"><xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence></xs:complexType>"#
        let old = try Self.schema(#"<xs:element name="r" type="Base"/>\#(base)"#)
        let new = try Self.schema(
            #"<xs:element name="r" type="Derived"/>\#(base)<xs:complexType name="Derived"><xs:complexContent><xs:extension base="Base"><xs:sequence><xs:element name="b" type="xs:int" minOccurs="0"/></xs:sequence></xs:extension></xs:complexContent></xs:complexType>"#
        )
        #expect(try Self.verdicts(old, new) == (true, false))
    }

    @Test func nillableRemovedIsBackwardIncompatible() throws {
        let old = try Self.record(#"<xs:sequence><xs:element name="x" type="xs:string" nillable="true"/></xs:sequence>"#)
        let new = try Self.record(#"<xs:sequence><xs:element name="x" type="xs:string"/></xs:sequence>"#)
        #expect(try Self.verdicts(old, new) == (false, true))
    }

    @Test func transitiveLevelsCheckEveryEarlierVersion() throws {
        let v1 = try Self.record(
            #"<xs:sequence><xs:element name="a" type="xs:string"/><xs:element name="note" type="xs:string" minOccurs="0"/></xs:sequence>"#)
        let v2 = try Self.record(#"<xs:sequence><xs:element name="a" type="xs:string"/></xs:sequence>"#)
        let v3 = try Self.record(
            #"<xs:sequence><xs:element name="a" type="xs:string"/><xs:element name="extra" type="xs:int" minOccurs="0"/></xs:sequence>"#)
        // v3 reads v2's documents, not v1's (those may carry <note>).
        #expect(try Self.check(.backward, [v1, v2], v3).isCompatible)
        #expect(try !Self.check(.backwardTransitive, [v1, v2], v3).isCompatible)
        // v1 and v2 read v3's documents only without <extra>.
        #expect(try !Self.check(.forward, [v1, v2], v3).isCompatible)
        #expect(try !Self.check(.fullTransitive, [v1, v2], v3).isCompatible)
        #expect(try Self.check(.none, [v1, v2], v3).isCompatible)
    }

    @Test func recursiveTypesTerminate() throws {
        let tree =
            #"<xs:element name="node" type="Node"/><xs:complexType name="Node"><xs:sequence><xs:element name="node" type="Node" minOccurs="0" maxOccurs="unbounded"/></xs:sequence><xs:attribute name="v" type="xs:int"/></xs:complexType>"#
        #expect(try Self.check(.fullTransitive, [try Self.schema(tree)], try Self.schema(tree)).isCompatible)
        let narrowed = tree.replacingOccurrences(of: "xs:int", with: "xs:short")
        let result = try Self.check(.backward, [try Self.schema(tree)], try Self.schema(narrowed))
        #expect(result.messages.contains { $0.contains("/node/@v") }, "\(result.messages)")
    }

    @Test func aCheckBeyondTheBudgetIsRefusedNotRun() throws {
        let old = try Self.record(#"<xs:sequence><xs:element name="x" type="xs:string" maxOccurs="5000"/></xs:sequence>"#)
        let new = try Self.record(#"<xs:sequence><xs:element name="x" type="xs:string" maxOccurs="4999"/></xs:sequence>"#)
        #expect(throws: XSDError.self) { try Self.check(.backward, [old], new, budget: 1_000) }
        #expect(try !Self.check(.backward, [old], new).isCompatible)
    }

    @Test func substitutionGroupMembersAreElementsTheContentAdmits() throws {
        let members =
            #"<xs:element name="shape" abstract="true" type="xs:string"/><xs:element name="circle" substitutionGroup="shape" type="xs:string"/>"#
        let old = try Self.schema(
            #"\#(members)<xs:element name="square" substitutionGroup="shape" type="xs:string"/><xs:element name="d"><xs:complexType><xs:sequence><xs:element ref="shape"/></xs:sequence></xs:complexType></xs:element>"#
        )
        let new = try Self.schema(
            #"\#(members)<xs:element name="square" type="xs:string"/><xs:element name="d"><xs:complexType><xs:sequence><xs:element ref="shape"/></xs:sequence></xs:complexType></xs:element>"#
        )
        let result = try Self.check(.backward, [old], new)
        #expect(result.messages.contains { $0.contains("/d/square") }, "\(result.messages)")
        #expect(try Self.check(.forward, [old], new).isCompatible)
    }
}
