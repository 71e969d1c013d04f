import CanonAvro
import CanonCore
import Testing

/// Unions of many named types are checked in linear work (branches match by full name first, as Java's
/// resolver picks them); what must still be tried pairwise is bounded by a work budget that refuses the
/// check clearly. Work is counted in steps (pairs of types compared), never in time.
@Suite struct UnionCompatibilityCostTests {
    /// A record `[prefix]i` with one field, optionally with an alias.
    static func record(_ name: String, alias: String? = nil) -> String {
        let aliases = alias.map { #","aliases":["\#($0)"]"# } ?? ""
        return #"{"type":"record","name":"\#(name)"\#(aliases),"fields":[{"name":"v","type":"long"}]}"#
    }

    static func union(_ branches: [String]) throws -> AvroSchema {
        try AvroSchema(parsing: "[" + branches.joined(separator: ",") + "]")
    }

    @Test func aReversedUnionOfTenThousandRecordsIsCheckedInLinearWork() throws {
        let names = (0..<10_000).map { "R\($0)" }
        let forward = try Self.union(names.map { Self.record($0) })
        let reversed = try Self.union(names.reversed().map { Self.record($0) })
        // Pairwise, this is 50 million trials; matched by name, a few steps per branch.
        #expect(try forward.incompatibilities(readingDataWrittenWith: reversed, maximumSteps: 100_000).isEmpty)
        #expect(try reversed.incompatibilities(readingDataWrittenWith: forward, maximumSteps: 100_000).isEmpty)
        // The level logic gives the same verdict in both directions.
        let result = try CompatibilityLevel.full.check(reversed, against: [forward], using: AvroCompatibilityChecker(maximumSteps: 200_000))
        #expect(result.isCompatible)
    }

    @Test func aMissingBranchIsStillFoundWhenNamesMatchFirst() throws {
        let names = (0..<2_000).map { "R\($0)" }
        let writer = try Self.union(names.map { Self.record($0) })
        let reader = try Self.union(names.dropFirst(1000).reversed().map { Self.record($0) })
        let problems = try reader.incompatibilities(readingDataWrittenWith: writer, maximumSteps: 1 << 40)
        #expect(problems.count == 1000)
        #expect(
            problems.first
                == AvroIncompatibility(kind: .missingUnionBranch, message: "reader union lacking writer type: RECORD", location: "/0"))
    }

    @Test func pairwiseTrialsPastTheBudgetAreRefusedNamingTheBudget() throws {
        // Renamed branches read through aliases: no name matches, so every branch is tried pairwise.
        let writer = try Self.union((0..<3_000).map { Self.record("Old\($0)") })
        let reader = try Self.union((0..<3_000).reversed().map { Self.record("New\($0)", alias: "Old\($0)") })
        let error = #expect(throws: AvroError.self) {
            _ = try reader.incompatibilities(readingDataWrittenWith: writer, maximumSteps: 1_000_000)
        }
        #expect(error?.message.contains("needs more than 1000000 steps") == true, "\(error?.message ?? "")")
        // With room enough, the same check answers (compatible: every old name is an alias).
        let small = try Self.union((0..<200).map { Self.record("Old\($0)") })
        let renamed = try Self.union((0..<200).reversed().map { Self.record("New\($0)", alias: "Old\($0)") })
        #expect(try renamed.incompatibilities(readingDataWrittenWith: small).isEmpty)
    }
}
