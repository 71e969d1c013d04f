import CanonAvro
import Testing

/// `AvroSchema.changes(to:)`: what changed between two versions, in Avro's vocabulary.
@Suite struct SchemaDiffTests {
    static func changes(_ old: String, _ new: String) throws -> [String] {
        try AvroSchema(parsing: old).changes(to: AvroSchema(parsing: new)).map(\.description)
    }

    static func record(_ fields: String, extra: String = "") -> String {
        #"{"type":"record","name":"R","namespace":"n"\#(extra),"fields":[\#(fields)]}"#
    }

    @Test func identicalSchemasHaveNoChangesWhateverTheirFormatting() throws {
        let a = Self.record(#"{"name":"a","type":"int"}"#)
        #expect(try Self.changes(a, a.replacingOccurrences(of: ",", with: ", ")) == [])
    }

    @Test func fieldsAddedRemovedRenamedAndTheirDefaults() throws {
        let old = Self.record(
            #"{"name":"a","type":"int"},{"name":"b","type":"string","default":"x"},{"name":"c","type":"long","default":1}"#)
        let new = Self.record(
            #"{"name":"a","type":"int","default":0},{"name":"d","type":"long","aliases":["c"],"default":2},{"name":"e","type":"string"},{"name":"f","type":"string","default":""}"#
        )
        #expect(
            try Self.changes(old, new) == [
                "n.R.a: default added: 0",
                "n.R.d: field renamed: from 'c' (kept as an alias)",
                "n.R.d: default changed: 1 -> 2",
                "n.R.e: field added: string, no default",
                #"n.R.f: field added: string, default """#,
                #"n.R.b: field removed: string, had default "x""#,
            ])
    }

    @Test func typesArePromotedOrChangedAndUnionsGainOrLoseBranches() throws {
        let old = Self.record(
            #"{"name":"a","type":"int"},{"name":"b","type":"string"},{"name":"c","type":["null","int","string"]},{"name":"d","type":{"type":"map","values":"float"}},{"name":"e","type":"boolean"}"#
        )
        let new = Self.record(
            #"{"name":"a","type":"double"},{"name":"b","type":["null","string"]},{"name":"c","type":["null","long","string"]},{"name":"d","type":{"type":"map","values":"double"}},{"name":"e","type":"int"}"#
        )
        #expect(
            try Self.changes(old, new) == [
                "n.R.a: type promoted: int -> double",
                "n.R.b: type changed: string -> [null, string]",
                "n.R.c<long>: type promoted: int -> long",
                "n.R.d{}: type promoted: float -> double",
                "n.R.e: type changed: boolean -> int",
            ])
    }

    @Test func reorderedUnionBranchesAndEnumSymbolsAreChanges() throws {
        let old = Self.record(
            #"{"name":"a","type":["null","string"],"default":null},{"name":"e","type":{"type":"enum","name":"E","symbols":["X","Y"]}}"#)
        let new = Self.record(
            #"{"name":"a","type":["string","null"],"default":"x"},{"name":"e","type":{"type":"enum","name":"E","symbols":["Y","X"]}}"#)
        #expect(
            try Self.changes(old, new) == [
                "n.R.a: union branches reordered: [null, string] -> [string, null] (a field's default must match the first branch)",
                "n.R.a: default changed: null -> \"x\"",
                "n.R.e: enum symbols reordered: [\"X\", \"Y\"] -> [\"Y\", \"X\"]",
            ])
    }

    @Test func enumsFixedNamesLogicalTypesAndRecursion() throws {
        let old =
            #"{"type":"record","name":"Node","fields":[{"name":"s","type":{"type":"enum","name":"S","symbols":["A","B"],"default":"A"}},{"name":"f","type":{"type":"fixed","name":"F","size":4}},{"name":"t","type":"long"},{"name":"next","type":["null","Node"]}]}"#
        let new =
            #"{"type":"record","name":"Node","fields":[{"name":"s","type":{"type":"enum","name":"S2","aliases":["S"],"symbols":["A","C"],"default":"C"}},{"name":"f","type":{"type":"fixed","name":"F","size":8}},{"name":"t","type":{"type":"long","logicalType":"timestamp-millis"}},{"name":"next","type":["null","Node"]}]}"#
        #expect(
            try Self.changes(old, new) == [
                "Node.s: name changed: S -> S2 (the old name is an alias)",
                "Node.s: aliases changed: [] -> [\"S\"]",
                "Node.s: enum symbol added: C",
                "Node.s: enum symbol removed: B",
                "Node.s: enum default changed: A -> C",
                "Node.f: fixed size changed: 4 -> 8 bytes",
                "Node.t: logical type changed: none -> timestamp-millis",
            ])
    }
}
