import CanonCore
import CanonLogTestKit
import CanonTestSupport
import Foundation
import Hummingbird
import Testing

/// XML Schema end to end over the REST API: registration with a reference, identity that ignores
/// formatting, compatibility with XPath messages, write-time validation of XML records produced over
/// REST, and all of it after a restart.
@Suite struct XMLRouteTests {
    static let common = #"""
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:simpleType name="Sku"><xs:restriction base="xs:string"><xs:pattern value="[A-Z]{3}-[0-9]{4}"/></xs:restriction></xs:simpleType>
        </xs:schema>
        """#
    static let order = #"""
        <?xml version="1.0"?>
        <xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema">
          <xs:include schemaLocation="common.xsd"/>
          <!-- one order -->
          <xs:element name="order">
            <xs:complexType>
              <xs:sequence>
                <xs:element name="item" maxOccurs="unbounded">
                  <xs:complexType>
                    <xs:attribute name="sku" type="Sku" use="required"/>
                    <xs:attribute name="qty" type="xs:positiveInteger" default="1"/>
                  </xs:complexType>
                </xs:element>
              </xs:sequence>
              <xs:attribute name="id" type="xs:string" use="required"/>
            </xs:complexType>
          </xs:element>
        </xs:schema>
        """#

    static func register(_ schema: String, references: [JSONValue] = []) -> String {
        JSONValue.object(["schemaType": .string("XSD"), "schema": .string(schema), "references": .array(references)]).jsonText
    }

    static let reference: JSONValue = .object(["name": .string("common.xsd"), "subject": .string("common"), "version": .int(1)])

    static func record(_ id: Int64, _ xml: String) -> String {
        JSONValue.object(["value": .object(["type": .string("XML"), "schema_id": .int(id), "data": .string(xml)])]).jsonText
    }

    @Test func xmlSchemasAreRegisteredComparedAndValidateProducedRecordsAcrossARestart() async throws {
        let files = FaultInjectingFileSystem()
        let orderID = try await withServerAnswering(files) { call in
            #expect(try await call(.post, "/subjects/common/versions", Self.register(Self.common)).status == 200)
            let registered = try await call(
                .post, "/subjects/orders-value/versions", Self.register(Self.order, references: [Self.reference]))
            #expect(registered.status == 200, "\(registered.json)")
            let id = try #require(registered.json["id"]?.int64Value)
            // Re-indented, without the comment, attributes reordered: the same schema, the same ID.
            let reformatted = Self.order.replacingOccurrences(of: "  ", with: "\t").replacingOccurrences(of: "<!-- one order -->", with: "")
                .replacingOccurrences(
                    of: #"<xs:attribute name="sku" type="Sku" use="required"/>"#,
                    with: #"<xs:attribute use="required" type="Sku" name="sku" />"#)
            let again = try await call(.post, "/subjects/orders-value", Self.register(reformatted, references: [Self.reference]))
            #expect(again.json["id"]?.int64Value == id, "\(again.json)")
            #expect(try await call(.get, "/schemas/ids/\(id)", nil).json["schemaType"] == .string("XSD"))
            #expect(try await call(.get, "/schemas/ids/\(id)/schema", nil).status == 200)
            // A required attribute added: incompatible under BACKWARD, by XPath.
            let stricter = Self.order.replacingOccurrences(
                of: #"<xs:attribute name="id" type="xs:string" use="required"/>"#,
                with:
                    #"<xs:attribute name="id" type="xs:string" use="required"/><xs:attribute name="region" type="xs:string" use="required"/>"#
            )
            let compat = try await call(
                .post, "/compatibility/subjects/orders-value/versions/latest?verbose=true",
                Self.register(stricter, references: [Self.reference]))
            #expect(compat.json["is_compatible"] == .bool(false), "\(compat.json)")
            #expect(compat.json.jsonText.contains("/order/@region"), "\(compat.json)")
            #expect(
                try await call(.post, "/subjects/orders-value/versions", Self.register(stricter, references: [Self.reference])).status
                    == 409)

            let topic = #"{"topic_name":"orders","configs":[{"name":"value.schema.validation","value":"full"}]}"#
            #expect(try await call(.post, "/v3/clusters/canon/topics", topic).status == 201)
            let good = #"<order id="o-1"><item sku="ABC-1234" qty="2"/><item sku="XYZ-0001"/></order>"#
            let produced = try await call(.post, "/v3/clusters/canon/topics/orders/records", Self.record(id, good))
            #expect(produced.status == 200, "\(produced.json)")
            // By subject and version, as REST Proxy clients name a schema.
            let bySubject = JSONValue.object([
                "value": .object([
                    "type": .string("XML"), "subject": .string("orders-value"), "schema_version": .int(1),
                    "data": .string(#"<order id="o-9"><item sku="ABC-0009"/></order>"#),
                ])
            ]).jsonText
            let produced2 = try await call(.post, "/v3/clusters/canon/topics/orders/records", bySubject)
            #expect(produced2.status == 200, "\(produced2.json)")
            // A facet broken two levels down: refused with the element's path and libxml2's reason.
            let bad = "<order id=\"o-2\">\n<item sku=\"ABC-1234\"/>\n<item sku=\"abc\"/>\n</order>"
            let refused = try await call(.post, "/v3/clusters/canon/topics/orders/records", Self.record(id, bad))
            #expect(refused.status == 422, "\(refused.json)")
            let message = refused.json["message"]?.stringValue ?? ""
            #expect(message.contains("/order/item[2]") && message.contains("line 3") && message.contains("sku"), "\(message)")
            guard case .array(let errors)? = refused.json["errors"] else {
                Issue.record("\(refused.json)")
                return id
            }
            #expect(errors.first?["path"] == .string("/order/item[2]"))
            // Framed bytes sent as BINARY meet write-time validation, which refuses them the same way.
            let framed = ConfluentFraming.prefix(schemaID: Int32(id)) + Array("<order/>".utf8)
            let binary = try await call(
                .post, "/v3/clusters/canon/topics/orders/records",
                #"{"value":{"type":"BINARY","data":"\#(Data(framed).base64EncodedString())"}}"#)
            #expect(binary.status == 422, "\(binary.json)")
            // Hostile XML is refused like any invalid record.
            let hostile = #"<!DOCTYPE order [<!ENTITY x SYSTEM "file:///etc/passwd">]><order id="&x;"/>"#
            #expect(try await call(.post, "/v3/clusters/canon/topics/orders/records", Self.record(id, hostile)).status == 422)
            return id
        }
        // After a restart: the schema, its reference and the accepted record are all there.
        try await withServerAnswering(files) { call in
            #expect(try await call(.get, "/schemas/ids/\(orderID)", nil).json["schemaType"] == .string("XSD"))
            let read = try await call(.get, "/v3/clusters/canon/topics/orders/partitions/0/records?format=avro-json", nil)
            guard case .array(let data)? = read.json["data"] else {
                Issue.record("\(read.json)")
                return 0
            }
            #expect(data.count == 2)
            #expect(data.first?["value"]?["data"]?.stringValue?.contains(#"sku="XYZ-0001""#) == true, "\(read.json)")
            let good = #"<order id="o-3"><item sku="QRS-9999"/></order>"#
            #expect(try await call(.post, "/v3/clusters/canon/topics/orders/records", Self.record(orderID, good)).status == 200)
            return 0
        }
    }
}

extension XMLRouteTests {
    @Test func hostileSchemasAreRefusedAndTheServerKeepsServing() async throws {
        try await withServer { call in
            let onDisk = TestData.shared.appendingPathComponent("testdata/xsd/libxml2/test/schemas/all_0.xsd").path
            let hostile = [
                // A file on disk, by include and by import: never read.
                #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="\#(onDisk)"/></xs:schema>"#,
                #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:import namespace="urn:x" schemaLocation="file://\#(onDisk)"/></xs:schema>"#,
                // The network.
                #"<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:include schemaLocation="http://127.0.0.1:1/x.xsd"/></xs:schema>"#,
                // Entities.
                #"<!DOCTYPE s [<!ENTITY x SYSTEM "file:///etc/passwd">]><xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema"><xs:element name="r" fixed="&x;"/></xs:schema>"#,
                String(repeating: "<a>", count: 10_000),
            ]
            for schema in hostile {
                let answer = try await call(.post, "/subjects/h/versions", Self.register(schema))
                #expect(answer.status == 422, "\(answer.json)")
                // Nothing of a file's content comes back.
                #expect(answer.json["message"]?.stringValue?.contains("root:") != true)
            }
            let refused = try await call(.post, "/subjects/h/versions", Self.register(hostile[0]))
            #expect(refused.json["message"]?.stringValue?.contains("not one of the schema's references") == true, "\(refused.json)")
            #expect(try await call(.get, "/health", nil).status == 200)
            #expect(try await call(.post, "/subjects/common/versions", Self.register(Self.common)).status == 200)
        }
    }
}

/// `withServer` on `files`, returning what `test` returns.
private func withServerAnswering<T: Sendable>(
    _ files: FaultInjectingFileSystem,
    _ test: @escaping @Sendable (_ call: @escaping @Sendable (HTTPRequest.Method, String, String?) async throws -> Answer) async throws -> T
) async throws -> T {
    let box = Locked<T?>(nil)
    try await withServer(fileSystem: files) { call in
        box.value = try await test(call)
    }
    return try #require(box.value)
}
