import CanonCore
import CanonTestSupport
import Foundation
import Testing

@testable import CanonXSD

/// Hostile XML, as records and as schemas: refused, quickly and without reading anything outside what
/// it was given.
struct XMLSecurityTests {
    static let schema = try! CompiledSchema(
        text: #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r" type="xs:string"/></xs:schema>"#)

    static func refusal(_ document: String, limits: XMLLimits = .default) -> XSDError? {
        do {
            try schema.validate(Array(document.utf8), limits: limits)
            return nil
        } catch {
            return error
        }
    }

    @Test func externalEntitiesNamingFilesOrTheNetworkAreRefused() throws {
        for system in ["file:///etc/passwd", "/etc/passwd", "http://127.0.0.1:1/x"] {
            let error = try #require(Self.refusal(#"<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x SYSTEM "\#(system)">]><r>&x;</r>"#))
            #expect(error.message.contains("DTD"), "\(error)")
        }
        // An external DTD subset, too.
        let error = try #require(Self.refusal(#"<!DOCTYPE r SYSTEM "file:///etc/passwd"><r/>"#))
        #expect(error.message.contains("DTD"))
    }

    @Test func billionLaughsAndQuadraticBlowupAreRefusedBeforeExpansion() throws {
        var laughs = #"<!DOCTYPE r [<!ENTITY l0 "ha">"#
        for i in 1...10 { laughs += "<!ENTITY l\(i) \"" + String(repeating: "&l\(i - 1);", count: 10) + "\">" }
        laughs += "]><r>&l10;</r>"
        #expect(Self.refusal(laughs)?.message.contains("DTD") == true)
        let big = String(repeating: "a", count: 50_000)
        let quadratic = "<!DOCTYPE r [<!ENTITY a \"\(big)\">]><r>" + String(repeating: "&a;", count: 50_000) + "</r>"
        #expect(Self.refusal(quadratic)?.message.contains("DTD") == true)
    }

    @Test func undeclaredEntitiesAreErrorsNotLookups() throws {
        let error = try #require(Self.refusal("<r>&x;</r>"))
        #expect(error.line == 1)
    }

    @Test func deepNestingIsRefusedByTheParsersDepthLimit() throws {
        let deep = String(repeating: "<a>", count: 10_000) + String(repeating: "</a>", count: 10_000)
        let error = try #require(Self.refusal(deep))
        #expect(error.message.lowercased().contains("depth"), "\(error)")
    }

    @Test func aDocumentOverTheSizeLimitIsRefusedWithoutParsing() throws {
        let fifty = "<r>" + String(repeating: "x", count: 50 << 20) + "</r>"
        let error = try #require(Self.refusal(fifty))
        #expect(error.isLimit)
        #expect(error.message.contains("limit"))
        // The limit is the caller's to set.
        #expect(Self.refusal("<r>" + String(repeating: "x", count: 100) + "</r>", limits: XMLLimits(maxBytes: 50))?.isLimit == true)
    }

    @Test func aSchemaCannotIncludeOrImportWhatIsNotAReference() throws {
        // A real schema file on disk: libxml2's default loader would read it.
        let onDisk = TestData.shared.appendingPathComponent("testdata/xsd/libxml2/test/schemas/all_0.xsd").path
        for location in [onDisk, "file://\(onDisk)", "http://127.0.0.1:1/x.xsd", "../../../etc/passwd"] {
            for kind in [#"include schemaLocation="\#(location)""#, #"import namespace="urn:x" schemaLocation="\#(location)""#] {
                let text = #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:\#(kind)/><xs:element name="r"/></xs:schema>"#
                #expect(throws: XSDError.self, "\(kind)") { try CompiledSchema(text: text) }
                do {
                    _ = try CompiledSchema(text: text)
                } catch {
                    #expect(error.message.contains("not one of the schema's references"), "\(error)")
                }
            }
        }
    }

    @Test func aSchemaOrReferenceWithADTDIsRefused() throws {
        let hostile =
            #"<!DOCTYPE xs:schema [<!ENTITY x SYSTEM "file:///etc/passwd">]><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"/>"#
        #expect(throws: XSDError.self) { try CompiledSchema(text: hostile) }
        let including = #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="a.xsd"/></xs:schema>"#
        #expect(throws: XSDError.self) { try CompiledSchema(text: including, references: ["a.xsd": hostile]) }
    }

    @Test func oneCompiledSchemaValidatesOnManyThreadsAtOnce() async throws {
        let schema = try CompiledSchema(
            text:
                #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="n"><xs:simpleType><xs:restriction base="xs:int"><xs:maxInclusive value="100"/></xs:restriction></xs:simpleType></xs:element></xs:schema>"#
        )
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for i in 0..<400 {
                group.addTask {
                    let valid = (try? schema.validate(Array("<n>\(i)</n>".utf8))) != nil
                    return (i, valid)
                }
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        #expect(results.count == 400)
        #expect(results.allSatisfy { $0.value == ($0.key <= 100) })
    }
}
