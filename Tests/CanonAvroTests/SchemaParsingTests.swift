import CanonAvro
import CanonCore
import CanonTestSupport
import Testing

@Suite struct SchemaValidationTests {
    struct Invalid: CustomStringConvertible, Sendable {
        var schema: String
        var code: AvroError.Code
        var path: String
        var message: String
        var description: String { message }
    }

    static let invalid: [Invalid] = [
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int"},{"name":"a","type":"long"}]}"#,
            code: .duplicateField, path: "/fields/1/name", message: "duplicate field 'a'"),
        .init(
            schema: #"{"type":"record","name":"R","namespace":"n","fields":[{"name":"a","type":"Missing"}]}"#,
            code: .unknownType, path: "/fields/0/type", message: "unknown type name 'n.Missing'"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":"string","default":null}]}"#,
            code: .invalidDefault, path: "/fields/0/default", message: "invalid default for field 'a'"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":2147483648}]}"#,
            code: .invalidDefault, path: "/fields/0/default", message: "out of range for int"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":"bytes","default":"\u0100"}]}"#,
            code: .invalidDefault, path: "/fields/0/default", message: "code points 0–255"),
        .init(
            schema:
                #"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int"}]},"default":{}}]}"#,
            code: .invalidDefault, path: "/fields/0/default", message: "missing field 'x'"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":["int","string"],"default":true}]}"#,
            code: .invalidDefault, path: "/fields/0/default", message: "matches no branch"),
        .init(
            schema: #"{"type":"enum","name":"E","symbols":["A","1B"]}"#,
            code: .invalidName, path: "/symbols/1", message: "invalid enum symbol '1B'"),
        .init(
            schema: #"{"type":"enum","name":"E","symbols":["A","A"]}"#,
            code: .invalidSchema, path: "/symbols/1", message: "duplicate enum symbol 'A'"),
        .init(
            schema: #"{"type":"enum","name":"E","symbols":["A"],"default":"B"}"#,
            code: .invalidDefault, path: "/default", message: "not one of the symbols"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":{"type":"fixed","name":"R","size":1}}]}"#,
            code: .redefinedName, path: "/fields/0/type/name", message: "'R' is already defined"),
        .init(
            schema: #"{"type":"fixed","name":"int","size":1}"#,
            code: .redefinedName, path: "/name", message: "primitive type name"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":["null",["int"]]}]}"#,
            code: .invalidSchema, path: "/fields/0/type/1", message: "may not immediately contain another union"),
        .init(schema: #"["int","string","int"]"#, code: .invalidSchema, path: "/2", message: "both 'int'"),
        .init(
            schema: #"["long",{"type":"long","logicalType":"timestamp-millis"}]"#, code: .invalidSchema, path: "/1", message: "both 'long'"),
        .init(schema: #"{"type":"fixed","name":"F","size":-1}"#, code: .invalidSchema, path: "/size", message: "non-negative integer"),
        .init(schema: #"{"type":"record","name":"R"}"#, code: .invalidSchema, path: "/", message: "without \"fields\""),
        .init(schema: #"{"type":"array"}"#, code: .invalidSchema, path: "/", message: "without \"items\""),
        .init(schema: #"{"type":"map","values":"nothing"}"#, code: .unknownType, path: "/values", message: "unknown type name 'nothing'"),
        .init(
            schema: #"{"type":"record","name":"R","namespace":"a..b","fields":[]}"#, code: .invalidName, path: "/namespace",
            message: "invalid namespace component ''"),
        .init(schema: #"{"type":"record","name":"9R","fields":[]}"#, code: .invalidName, path: "/name", message: "invalid name '9R'"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a-b","type":"int"}]}"#, code: .invalidName, path: "/fields/0/name",
            message: "invalid field name 'a-b'"),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"up"}]}"#, code: .invalidSchema,
            path: "/fields/0/order", message: "\"order\""),
        .init(
            schema: #"{"type":"record","name":"R","fields":[{"name":"a"}]}"#, code: .invalidSchema, path: "/fields/0",
            message: "without \"type\""),
        .init(schema: #"{"type":{"type":"int"}}"#, code: .invalidSchema, path: "/type", message: "must be a type name string"),
        .init(schema: #"{"name":"x"}"#, code: .invalidSchema, path: "/", message: "missing \"type\""),
        .init(schema: #"42"#, code: .invalidSchema, path: "/", message: "found number"),
    ]

    @Test(arguments: invalid)
    func invalidSchemaIsRejectedNamingPathAndRule(_ c: Invalid) {
        do {
            _ = try AvroSchema(parsing: c.schema)
            Issue.record("accepted \(c.schema)")
        } catch {
            #expect(error.code == c.code, "\(error)")
            #expect(error.location.jsonPath == c.path, "\(error)")
            #expect(error.message.contains(c.message), "\(error)")
        }
    }

    @Test func invalidJSONNamesLineAndColumn() {
        let error = #expect(throws: AvroError.self) { try AvroSchema(parsing: "{\n  \"type\": \"record\",\n  \"name\" \"x\"\n}") }
        #expect(error?.code == .invalidJSON)
        #expect(error?.location.line == 3)
        #expect(error?.location.column == 10)
    }

    @Test(arguments: [
        // Avro 1.12: a union default may match any branch.
        #"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":"x"}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":null}]}"#,
        // Confluent's AvroCompatibilityTest.testBadDefaultNull: the string "null" matches the string branch.
        #"{"type":"record","name":"R","fields":[{"name":"a","type":["null","string"],"default":"null"}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"a","type":["int","string"],"default":"x"}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"f","type":"float","default":"NaN"},{"name":"d","type":"double","default":1}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"b","type":"bytes","default":"\u00ff\u0000"},{"name":"x","type":{"type":"fixed","name":"F","size":2},"default":"ab"}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"r","type":{"type":"record","name":"S","fields":[{"name":"x","type":"int"},{"name":"y","type":"int","default":3}]},"default":{"x":1}}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"m","type":{"type":"map","values":{"type":"array","items":"long"}},"default":{"a":[1,9223372036854775807]}}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"e","type":{"type":"enum","name":"E","symbols":["A","B"],"default":"A"},"default":"B"}]}"#,
        #"{"type":"record","name":"Node","fields":[{"name":"next","type":["null","Node"],"default":null}]}"#,
        #"{"type":"error","name":"Oops","fields":[]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","order":"DESCENDING"}]}"#,
    ])
    func validSchemaIsAccepted(_ text: String) throws {
        _ = try AvroSchema(parsing: text)
    }
}

@Suite struct SchemaModelTests {
    @Test(arguments: [
        (#"{"type":"long","logicalType":"timestamp-micros"}"#, AvroSchema.LogicalType.timestampMicros),
        (#"{"type":"long","logicalType":"timestamp-nanos"}"#, .timestampNanos),
        (#"{"type":"long","logicalType":"local-timestamp-nanos"}"#, .localTimestampNanos),
        (#"{"type":"int","logicalType":"date"}"#, .date),
        (#"{"type":"int","logicalType":"time-millis"}"#, .timeMillis),
        (#"{"type":"long","logicalType":"time-micros"}"#, .timeMicros),
        (#"{"type":"string","logicalType":"uuid"}"#, .uuid),
        (#"{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}"#, .uuid),
        (#"{"type":"fixed","name":"D","size":12,"logicalType":"duration"}"#, .duration),
        (#"{"type":"bytes","logicalType":"big-decimal"}"#, .bigDecimal),
        (#"{"type":"bytes","logicalType":"decimal","precision":4,"scale":2}"#, .decimal(precision: 4, scale: 2)),
        (#"{"type":"fixed","name":"F","size":8,"logicalType":"decimal","precision":18}"#, .decimal(precision: 18, scale: 0)),
    ])
    func logicalTypesAreRecognized(_ text: String, _ expected: AvroSchema.LogicalType) throws {
        let schema = try AvroSchema(parsing: text)
        #expect(schema.rootNode.logicalType == expected)
        // [PRIMITIVES]: the canonical form of an annotated primitive is its simple name, as in Java
        // (Python avro 1.12 writes {"type":"string"} here, which the spec's rule excludes).
        if case .primitive(let p, _) = schema.rootNode {
            #expect(schema.canonicalForm == "\"\(p.rawValue)\"")
        }
    }

    @Test(arguments: [
        #"{"type":"int","logicalType":"timestamp-micros"}"#,
        #"{"type":"string","logicalType":"date"}"#,
        #"{"type":"bytes","logicalType":"decimal","precision":2,"scale":3}"#,
        #"{"type":"bytes","logicalType":"decimal","precision":0}"#,
        #"{"type":"bytes","logicalType":"decimal"}"#,
        #"{"type":"fixed","name":"F","size":8,"logicalType":"decimal","precision":19}"#,
        #"{"type":"fixed","name":"F","size":15,"logicalType":"uuid"}"#,
        #"{"type":"fixed","name":"F","size":16,"logicalType":"duration"}"#,
        #"{"type":"string","logicalType":"no-such-type"}"#,
    ])
    func invalidLogicalTypeFallsBackToItsUnderlyingType(_ text: String) throws {
        let schema = try AvroSchema(parsing: text)
        #expect(schema.rootNode.logicalType == nil)
        // The attribute is kept in the full rendering, stripped from the canonical form.
        #expect(schema.fullRendering.contains("logicalType"))
        #expect(!schema.canonicalForm.contains("logicalType"))
    }

    @Test func namespacesFollowTheSpec() throws {
        let schema = try AvroSchema(
            parsing: #"""
                {"type":"record","name":"Outer","namespace":"a.b","fields":[
                  {"name":"x","type":{"type":"record","name":"Inner","fields":[]}},
                  {"name":"y","type":{"type":"enum","name":"c.E","namespace":"ignored","symbols":["Z"]}},
                  {"name":"z","type":{"type":"fixed","name":"F","namespace":"","size":1}},
                  {"name":"w","type":"Inner"},
                  {"name":"v","type":"c.E"}
                ]}
                """#)
        #expect(Set(schema.namedTypes.keys) == ["a.b.Outer", "a.b.Inner", "c.E", "F"])
        #expect(
            schema.fullRendering
                == #"{"type":"record","name":"Outer","namespace":"a.b","fields":[{"name":"x","type":{"type":"record","name":"Inner","fields":[]}},{"name":"y","type":{"type":"enum","name":"E","namespace":"c","symbols":["Z"]}},{"name":"z","type":{"type":"fixed","name":"F","namespace":"","size":1}},{"name":"w","type":"Inner"},{"name":"v","type":"c.E"}]}"#
        )
        #expect(
            schema.canonicalForm
                == #"{"name":"a.b.Outer","type":"record","fields":[{"name":"x","type":{"name":"a.b.Inner","type":"record","fields":[]}},{"name":"y","type":{"name":"c.E","type":"enum","symbols":["Z"]}},{"name":"z","type":{"name":"F","type":"fixed","size":1}},{"name":"w","type":"a.b.Inner"},{"name":"v","type":"c.E"}]}"#
        )
    }

    @Test func fullRenderingWritesMembersInAvroJavaOrder() throws {
        // Members scrambled in the input; the rendering orders them as Avro Java's Schema.toString().
        let schema = try AvroSchema(
            parsing: #"""
                {"fields":[{"aliases":["old"],"order":"descending","default":7,"doc":"a field","type":"int","name":"a","custom":{"k":[1,2]}}],
                 "aliases":["Old","x.Older"],"doc":"a record","namespace":"ns","name":"R","type":"record","prop":"v",
                 "extra":1.5}
                """#)
        #expect(
            schema.fullRendering
                == #"{"type":"record","name":"R","namespace":"ns","doc":"a record","fields":[{"name":"a","type":"int","doc":"a field","default":7,"order":"descending","aliases":["old"],"custom":{"k":[1,2]}}],"prop":"v","extra":1.5,"aliases":["Old","x.Older"]}"#
        )
        #expect(try AvroSchema(parsing: schema.fullRendering).fullRendering == schema.fullRendering)
    }

    @Test func enumAndFixedRenderInAvroJavaOrder() throws {
        let e = try AvroSchema(parsing: #"{"default":"B","symbols":["A","B"],"p":true,"doc":"d","name":"E","type":"enum","aliases":["F"]}"#)
        #expect(e.fullRendering == #"{"type":"enum","name":"E","doc":"d","symbols":["A","B"],"default":"B","p":true,"aliases":["F"]}"#)
        let f = try AvroSchema(parsing: #"{"size":16,"logicalType":"uuid","name":"U","type":"fixed"}"#)
        #expect(f.fullRendering == #"{"type":"fixed","name":"U","size":16,"logicalType":"uuid"}"#)
        let p = try AvroSchema(parsing: #"{"type":"string","doc":"dropped like Java","avro.java.string":"String"}"#)
        #expect(p.fullRendering == #"{"type":"string","avro.java.string":"String"}"#)
        #expect(try AvroSchema(parsing: #"{"type":"int"}"#).fullRendering == #""int""#)
    }

    @Test func recursiveTypesParseRenderAndRoundTrip() throws {
        let schema = try AvroSchema(
            parsing: #"{"type":"record","name":"List","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","List"]}]}"#)
        #expect(
            schema.canonicalForm
                == #"{"name":"List","type":"record","fields":[{"name":"v","type":"int"},{"name":"next","type":["null","List"]}]}"#)
        let json = #"{"v":1,"next":{"List":{"v":2,"next":{"List":{"v":3,"next":null}}}}}"#
        let value = try AvroJSON.decode(text: json, schema: schema)
        let bytes = try schema.encode(value)
        #expect(TestData.hex(bytes) == "020204020600")
        #expect(try AvroJSON.encodeText(schema.decode(bytes), schema: schema) == json)
    }

    @Test func namedTypesFromEarlierFilesAreUsableAndInlinedInTheRendering() throws {
        var parser = AvroSchemaParser()
        let address = try parser.parse(
            #"{"type":"record","name":"Address","namespace":"com.example","fields":[{"name":"city","type":"string"}]}"#,
            file: "Address.avsc")
        let customer = try parser.parse(
            #"{"type":"record","name":"Customer","namespace":"com.example","fields":[{"name":"home","type":"Address"},{"name":"work","type":"com.example.Address"}]}"#,
            file: "Customer.avsc")
        #expect(address.rootNode.name?.fullName == "com.example.Address")
        #expect(
            customer.fullRendering
                == #"{"type":"record","name":"Customer","namespace":"com.example","fields":[{"name":"home","type":{"type":"record","name":"Address","fields":[{"name":"city","type":"string"}]}},{"name":"work","type":"Address"}]}"#
        )
        // The rendering is self-contained.
        #expect(try AvroSchema(parsing: customer.fullRendering).canonicalForm == customer.canonicalForm)
    }

    @Test func failedParseLeavesTheParserUnchangedAndNamesTheFile() throws {
        var parser = AvroSchemaParser()
        let error = #expect(throws: AvroError.self) {
            try parser.parse(#"{"type":"record","name":"A","fields":[{"name":"x","type":"Nope"}]}"#, file: "A.avsc")
        }
        #expect(error?.location.file == "A.avsc")
        #expect(parser.namedTypes.isEmpty)
        // "A" was not kept: it can be defined again.
        _ = try parser.parse(#"{"type":"record","name":"A","fields":[]}"#)
    }

    @Test func aliasesAreKeptAsFullNamesAndRenderedRelative() throws {
        let schema = try AvroSchema(parsing: #"{"type":"record","name":"a.b","aliases":["c","x.y"],"fields":[]}"#)
        guard case .record(let r) = schema.rootNode else { Issue.record("not a record"); return }
        #expect(r.aliases == ["a.c", "x.y"])
        #expect(schema.fullRendering == #"{"type":"record","name":"b","namespace":"a","fields":[],"aliases":["c","x.y"]}"#)
    }
}

/// Schemas built to make a naive parser crash, loop or take exponential time.
@Suite struct AdversarialSchemaTests {
    @Test(arguments: [
        #"{"type":"record","name":"R","fields":[{"name":"a","type":"R","default":{}}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"a","type":["R","null"],"default":{}}]}"#,
        #"{"type":"record","name":"R","fields":[{"name":"b","type":"int"},{"name":"a","type":{"type":"array","items":"R"},"default":[{"b":1}]}]}"#,
    ])
    func selfReferentialDefaultIsAnErrorNotACrash(_ text: String) {
        let error = #expect(throws: AvroError.self) { try AvroSchema(parsing: text) }
        #expect(error?.code == .invalidDefault)
        // Through a union the self-reference shows as a default that matches no branch.
        #expect(
            error?.message.contains(text.contains("[\"R\"") ? "matches no branch" : "needs itself") == true, "\(String(describing: error))")
    }

    @Test func finiteNestedDefaultsExpand() throws {
        let schema = try AvroSchema(
            parsing:
                #"{"type":"record","name":"R","fields":[{"name":"s","type":{"type":"record","name":"S","fields":[{"name":"t","type":{"type":"record","name":"T","fields":[{"name":"x","type":"int","default":7}]},"default":{}}]},"default":{}}]}"#
        )
        let value = try AvroJSON.decode(text: "{}", schema: schema)
        #expect(value["s"]?["t"]?["x"] == .int(7))
    }

    @Test func sharedRecordChainsParseInLinearTime() throws {
        // T_i has two fields of type T_{i-1}: a walk that does not memoize visits 2^40 nodes.
        var text = #"{"type":"record","name":"T0","fields":[{"name":"a","type":"int"},{"name":"b","type":"int"}]}"#
        for i in 1...40 {
            text = #"{"type":"record","name":"T\#(i)","fields":[{"name":"a","type":\#(text)},{"name":"b","type":"T\#(i - 1)"}]}"#
        }
        let schema = try AvroSchema(parsing: text)
        #expect(schema.namedTypes.count == 41)
    }

    @Test func manyDefaultsAreCheckedOnce() throws {
        let fields = (0..<5000).map { #"{"name":"f\#($0)","type":"int","default":\#($0)}"# }.joined(separator: ",")
        let schema = try AvroSchema(parsing: #"{"type":"record","name":"Wide","fields":[\#(fields)]}"#)
        guard case .record(let r) = schema.rootNode else { Issue.record("not a record"); return }
        #expect(r.fields.count == 5000)
    }

    @Test func nestedUnionDefaultsDoNotBacktrackExponentially() throws {
        var value = #"{"v":null,"b":1}"#
        for _ in 0..<40 { value = #"{"v":\#(value),"b":1}"# }
        let text = #"""
            {"type":"record","name":"Top","fields":[
              {"name":"x","type":["null",
                {"type":"record","name":"RA","fields":[
                  {"name":"v","type":["null","RA",{"type":"record","name":"RB","fields":[{"name":"v","type":["null","RA","RB"]},{"name":"b","type":"int"}]}]},
                  {"name":"a","type":"int"}]},
                "RB"],
               "default":\#(value)}]}
            """#
        _ = try AvroSchema(parsing: text)
    }

    @Test func integerTypesTakeOnlyIntegerDefaults() {
        #expect(throws: AvroError.self) {
            try AvroSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"int","default":1.0}]}"#)
        }
        #expect(throws: AvroError.self) {
            try AvroSchema(parsing: #"{"type":"record","name":"R","fields":[{"name":"a","type":"long","default":1e3}]}"#)
        }
    }

    @Test func renderingFollowsJavaForDoublesAliasesAndRepeatedKeys() throws {
        let schema = try AvroSchema(
            parsing:
                #"{"type":"record","name":"R","aliases":["g","g"],"p":1,"p":2,"fields":[{"name":"d","type":"double","default":1e20},{"name":"e","type":"double","default":1e-7},{"name":"f","type":"float","default":10000000}]}"#
        )
        #expect(
            schema.fullRendering
                == #"{"type":"record","name":"R","fields":[{"name":"d","type":"double","default":1.0E20},{"name":"e","type":"double","default":1.0E-7},{"name":"f","type":"float","default":10000000}],"p":2,"aliases":["g"]}"#
        )
    }
}

/// Second-round adversarial schemas: shared defaults, long import chains.
@Suite struct AdversarialSchemaRoundTwoTests {
    @Test func defaultsThroughSharedRecordsExpandOnce() throws {
        // R_i has two fields of type R_{i-1}, each defaulting to {}: expanding per path is 2^30 work.
        var types = [#"{"type":"record","name":"R0","fields":[{"name":"x","type":"int","default":0}]}"#]
        for i in 1...30 {
            types.append(
                #"{"type":"record","name":"R\#(i)","fields":[{"name":"a","type":"R\#(i - 1)","default":{}},{"name":"b","type":"R\#(i - 1)","default":{}}]}"#
            )
        }
        let schema = try AvroSchema(parsing: "[" + types.joined(separator: ",") + "]")
        #expect(schema.namedTypes.count == 31)
    }

    @Test func unionDefaultsInsideOtherDefaultsStayLinear() throws {
        var value = #"{"v":null,"b":1}"#
        for _ in 0..<30 { value = #"{"v":\#(value),"b":1}"# }
        let text = #"""
            {"type":"record","name":"Top","fields":[
              {"name":"inner","type":{"type":"record","name":"Holder","fields":[
                {"name":"x","type":["null",
                  {"type":"record","name":"RA","fields":[
                    {"name":"v","type":["null","RA",{"type":"record","name":"RB","fields":[{"name":"v","type":["null","RA","RB"]},{"name":"b","type":"int"}]}]},
                    {"name":"a","type":"int"}]},
                  "RB"],
                 "default":\#(value)}]},
               "default":{}}]}
            """#
        let schema = try AvroSchema(parsing: text)
        _ = try AvroJSON.decode(text: "{}", schema: schema)
    }

    @Test func importChainsDeeperThanTheLimitAreRefusedNotOverflowingTheStack() throws {
        var parser = AvroSchemaParser()
        _ = try parser.parse(#"{"type":"record","name":"R0","fields":[{"name":"x","type":"int"}]}"#)
        var refused: AvroError?
        for i in 1...2000 {
            do {
                _ = try parser.parse(#"{"type":"record","name":"R\#(i)","fields":[{"name":"a","type":"R\#(i - 1)"}]}"#)
            } catch {
                refused = error
                break
            }
        }
        #expect(refused?.message.contains("nest more than \(AvroSchemaParser.maximumNesting) deep") == true)
        // R_i nests i + 2 deep (record, record, ..., int).
        #expect(parser.namedTypes["R\(AvroSchemaParser.maximumNesting - 2)"] != nil)
        #expect(parser.namedTypes["R\(AvroSchemaParser.maximumNesting - 1)"] == nil)
        // What was accepted renders and fingerprints.
        let deepest = try parser.parse(#"{"type":"array","items":"R\#(AvroSchemaParser.maximumNesting - 3)"}"#)
        #expect(deepest.canonicalForm.hasPrefix(#"{"type":"array","items":{"name":"R\#(AvroSchemaParser.maximumNesting - 3)""#))
        #expect(try AvroSchema(parsing: deepest.fullRendering).canonicalForm == deepest.canonicalForm)
    }

    @Test func parsingManyFilesStaysLinear() throws {
        var parser = AvroSchemaParser()
        for i in 0..<3000 {
            _ = try parser.parse(#"{"type":"record","name":"T\#(i)","fields":[{"name":"a","type":"int","default":1}]}"#)
        }
        #expect(parser.namedTypes.count == 3000)
    }
}
