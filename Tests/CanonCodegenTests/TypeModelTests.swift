import CanonAvro
import Testing

@testable import CanonCodegen

/// The model the translators read: Swift names, value kinds, unions, boxing and which encoders throw.
@Suite struct TypeModelTests {
    static func model(_ schemas: [String], typeNames: [String: String] = [:]) throws -> TypeModel {
        let files = schemas.enumerated().map { SourceFile(path: "s\($0.offset).avsc", contents: $0.element) }
        let set = try SchemaSet(files: files)
        return try TypeModel(schema: set.schema, definitions: set.definitions, typeNames: typeNames)
    }

    static func index(_ model: TypeModel, _ name: String) throws -> Int { try #require(model.schema.namedTypes[name]) }

    @Test func namesAreSwiftCasedAndTypeNamesRenameThem() throws {
        let model = try Self.model(
            [
                #"{"type":"record","name":"order_placed","namespace":"a","fields":[{"name":"x","type":{"type":"enum","name":"Status","symbols":["A"]}}]}"#,
                #"{"type":"enum","name":"Status","namespace":"b","symbols":["B"]}"#,
            ], typeNames: ["b.Status": "OtherStatus"])
        #expect(model.names[try Self.index(model, "a.order_placed")] == "OrderPlaced")
        #expect(model.names[try Self.index(model, "a.Status")] == "Status")
        #expect(model.names[try Self.index(model, "b.Status")] == "OtherStatus")
    }

    @Test func fieldsGetTheirValueKinds() throws {
        let model = try Self.model([
            #"""
            {"type":"record","name":"R","fields":[
              {"name":"a","type":["null","string"]},
              {"name":"b","type":["long","null"]},
              {"name":"c","type":["null","int","string"]},
              {"name":"d","type":["null"]},
              {"name":"e","type":{"type":"array","items":{"type":"map","values":"bytes"}}},
              {"name":"f","type":{"type":"string","logicalType":"uuid"}},
              {"name":"g","type":{"type":"bytes","logicalType":"decimal","precision":40,"scale":2}}
            ]}
            """#
        ])
        let kinds = try #require(model.fieldKinds[try Self.index(model, "R")])
        #expect(kinds[0] == .optional(.string, nullIndex: 0))
        #expect(kinds[1] == .optional(.long, nullIndex: 1))
        guard case .union(let u, nullIndex: 0) = kinds[2] else {
            Issue.record("c is \(kinds[2])")
            return
        }
        #expect(model.unions[u].branches.map(\.kind) == [.int, .string])
        #expect(kinds[3] == .nullUnion)
        #expect(kinds[4] == .array(.map(.bytes)))
        #expect(kinds[5] == .logical(.uuid))
        #expect(kinds[6] == .logical(.bigDecimal(precision: 40, scale: 2, fixedSize: nil)))
    }

    @Test func recordsThatContainThemselvesAreBoxedAndDecimalsMakeEncodersThrow() throws {
        let model = try Self.model([
            #"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"]},{"name":"kids","type":{"type":"array","items":"Node"}}]}"#,
            #"{"type":"record","name":"Leaf","fields":[{"name":"n","type":"int"}]}"#,
            #"{"type":"record","name":"Price","fields":[{"name":"p","type":{"type":"bytes","logicalType":"decimal","precision":9,"scale":2}}]}"#,
            #"{"type":"record","name":"Line","fields":[{"name":"price","type":"Price"}]}"#,
        ])
        #expect(model.boxed == [try Self.index(model, "Node")])
        #expect(model.throwingRecords == [try Self.index(model, "Price"), try Self.index(model, "Line")])
    }

    @Test func unionsTheSwiftCannotHoldAreErrorsNamingTheSchema() throws {
        #expect(throws: CodegenError.self) { _ = try Self.model([#"{"type":"record","name":"R","fields":[{"name":"u","type":[]}]}"#]) }
        #expect(throws: CodegenError.self) { _ = try Self.model([#"{"type":"enum","name":"E","symbols":[]}"#]) }
    }
}
