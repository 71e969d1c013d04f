import CanonCore
@testable import CanonJSONSchema
import Foundation
import Testing

/// Hostile schemas and instances get an error, in bounded time and memory: never a crash or a hang.
@Suite struct HostileSchemaTests {
    static func schema(_ text: String, _ options: JSONSchemaValidator.Options = .init()) throws -> JSONSchemaValidator {
        try JSONSchemaValidator(schema: try JSONReader.parse(text), options: options)
    }

    @Test func aReferenceCycleOnOneValueIsRefusedNotAStackOverflow() throws {
        let looping = try Self.schema(##"{"$ref":"#"}"##)
        let failure = try #require(looping.validate(.int(1)))
        #expect(failure.message.contains("more than 512 deep"))
        // Two schemas referring to each other, on a thread with a 2 MB stack (a quarter of the main thread's).
        let pair = try Self.schema(
            ##"{"definitions":{"a":{"$ref":"#/definitions/b"},"b":{"allOf":[{"$ref":"#/definitions/a"}]}},"$ref":"#/definitions/a"}"##)
        let result = Thread.detachNewThreadWithResult { pair.validate(.string("x")) }
        #expect(result??.message.contains("deep") == true)
    }

    @Test func combinatorsThatMultiplyAreStoppedByTheStepBudget() throws {
        // Each level tries both branches of anyOf on the same value: 2^40 applications unbounded.
        var definitions = [##""l0":{"type":"string","minLength":5}"##]
        for i in 1...40 { definitions.append(##""l\##(i)":{"anyOf":[{"$ref":"#/$defs/l\##(i - 1)"},{"$ref":"#/$defs/l\##(i - 1)"}]}"##) }
        let text =
            ##"{"$schema":"https://json-schema.org/draft/2020-12/schema","$defs":{\##(definitions.joined(separator: ","))},"$ref":"#/$defs/l40"}"##
        var options = JSONSchemaValidator.Options()
        options.maximumSteps = 100_000
        let validator = try Self.schema(text, options)
        let failure = try #require(validator.validate(.string("abc")))
        #expect(failure.message.contains("more than 100000 steps"))
        #expect(validator.isValid(.string("abcdef")))  // a value that passes takes the first branch each time
    }

    @Test func catastrophicBacktrackingIsRefusedWithinItsBudget() throws {
        let validator = try Self.schema(##"{"type":"string","pattern":"^(a+)+$"}"##)
        let hostile = String(repeating: "a", count: 40) + "!"
        let clock = ContinuousClock()
        var failure: JSONSchemaFailure?
        let elapsed = clock.measure { failure = validator.validate(.string(hostile)) }
        #expect(failure?.message.contains("backtracking") == true)
        #expect(elapsed < .seconds(30))  // unbounded, this is 2^40 steps: hours
        #expect(validator.isValid(.string("aaaa")))
        let names = try Self.schema(##"{"patternProperties":{"^(a|aa)+$":{}},"additionalProperties":false}"##)
        #expect(
            names.validate(.object(JSONObject([(key: String(repeating: "a", count: 60) + "b", value: JSONValue.null)])))?.message.contains(
                "backtracking") == true)
    }

    @Test func largeInstancesAreCheckedInLinearTime() throws {
        let unique = try Self.schema(##"{"uniqueItems":true}"##)
        let many = JSONValue.array((0..<200_000).map { .int(Int64($0)) })
        #expect(unique.isValid(many))
        #expect(!unique.isValid(.array((0..<200_000).map { .int(Int64($0)) } + [.double(7.0)])))  // 7.0 equals 7
    }

    @Test func deepSchemasAndBadKeywordsAreCompileErrorsNamingWhere() throws {
        var deep = "{}"
        for _ in 0..<600 { deep = ##"{"items":\##(deep)}"## }
        // The JSON reader stops at its own nesting limit first; a schema built as a value reaches the scan's.
        var value = JSONValue.object([:])
        for _ in 0..<600 { value = .object(["items": value]) }
        #expect(throws: JSONSchemaError.self) { try JSONSchemaValidator(schema: value) }
        #expect(throws: JSONError.self) { try JSONReader.parse(deep) }
        let cases: [(String, String)] = [
            (##"{"type":"strin"}"##, "#/type"), (##"{"minLength":-1}"##, "#/minLength"), (##"{"pattern":"("}"##, "#/pattern"),
            (##"{"$ref":"#/nowhere"}"##, "#"), (##"{"$ref":"http://elsewhere.example/s.json"}"##, "#"),
            (##"{"properties":{"a":{"multipleOf":0}}}"##, "#/properties/a/multipleOf"), (##"{"items":[1]}"##, "#/items/0"),
        ]
        for (text, location) in cases {
            do throws(JSONSchemaError) {
                _ = try JSONSchemaValidator(schema: try! JSONReader.parse(text))
                Issue.record("\(text) compiled")
            } catch {
                #expect(error.location == location, "\(text): \(error)")
            }
        }
    }
}

extension Thread {
    /// Runs `body` on a new thread with a 2 MB stack and waits for its result.
    static func detachNewThreadWithResult<T: Sendable>(_ body: @escaping @Sendable () -> T) -> T? {
        let done = DispatchSemaphore(value: 0)
        let box = ResultBox<T>()
        let thread = Thread {
            box.value = body()
            done.signal()
        }
        thread.stackSize = 2 << 20
        thread.start()
        done.wait()
        return box.value
    }
}

private final class ResultBox<T>: @unchecked Sendable {  // written by one thread before the semaphore, read after
    var value: T?
}

/// Hostile inputs found by review: each an error (or a verdict) in bounded time, never a crash.
@Suite struct HostileReviewTests {
    @Test func aLongChainOfReferencesCompilesWithoutRecursionAndIsADiffError() throws {
        var definitions: [String] = []
        for i in 0..<2000 { definitions.append(##""d\##(i)":{"$ref":"#/definitions/d\##(i + 1)"}"##) }
        definitions.append(##""d2000":{"type":"string"}"##)
        let schema = try JSONReader.parse(##"{"definitions":{\##(definitions.joined(separator: ","))},"$ref":"#/definitions/d0"}"##)
        let compiled = Thread.detachNewThreadWithResult { () -> String? in
            do throws(JSONSchemaError) {
                _ = try JSONSchemaValidator(schema: schema)
                return nil
            } catch {
                return error.message
            }
        }
        // Compiled without recursing (a worklist), on a 2 MB stack; validating follows the chain up to
        // the depth limit and refuses past it.
        #expect(compiled == .some(nil), "\(String(describing: compiled))")
        #expect(try JSONSchemaValidator(schema: schema).validate(.string("x"))?.message.contains("more than 512 deep") == true)
        #expect(throws: JSONSchemaError.self) { try JSONSchemaDiff.compare(original: schema, update: schema) }
    }

    @Test func recursiveSchemasOfDifferentPeriodsAreRefusedNotOverflowed() throws {
        func ring(_ period: Int) throws -> JSONValue {
            var definitions: [String] = []
            for i in 0..<period {
                definitions.append(##""d\##(i)":{"type":"object","properties":{"next":{"$ref":"#/definitions/d\##((i + 1) % period)"}}}"##)
            }
            return try JSONReader.parse(##"{"definitions":{\##(definitions.joined(separator: ","))},"$ref":"#/definitions/d0"}"##)
        }
        // Small periods compare fine (the pairs repeat); large ones reach the depth limit and are refused.
        #expect(try JSONSchemaDiff.compare(original: try ring(3), update: try ring(4)).isEmpty)
        #expect(throws: JSONSchemaError.self) { try JSONSchemaDiff.compare(original: try ring(200), update: try ring(201)) }
    }

    @Test func uniqueItemsOfManyObjectsIsNotQuadratic() throws {
        let validator = try JSONSchemaValidator(schema: try JSONReader.parse(##"{"uniqueItems":true}"##))
        let distinct = JSONValue.array((0..<50_000).map { .object(["a": .int(Int64($0)), "b": .string("x")]) })
        #expect(validator.isValid(distinct))
        let repeated = JSONValue.array((0..<50_000).map { .object(["a": .int(Int64($0))]) } + [.object(["a": .double(7.0)])])
        #expect(!validator.isValid(repeated))
        // Members in another order are the same object.
        #expect(!validator.isValid(try JSONReader.parse(##"[{"a":1,"b":2},{"b":2,"a":1}]"##)))
    }

    @Test func punycodeThatOverflowsIsInvalidNotATrap() throws {
        var options = JSONSchemaValidator.Options()
        options.assertsFormats = true
        let validator = try JSONSchemaValidator(schema: try JSONReader.parse(##"{"format":"hostname"}"##), options: options)
        #expect(!validator.isValid(.string("xn--hz767205604493046e")))
        #expect(validator.isValid(.string("xn--ihqwcrb4cv8a8dqg056pqjye")))
    }
}

@Suite struct PatternCacheTests {
    /// Foundation leaks a long pattern's copy per compile: a pattern is compiled once, however many times
    /// schemas using it are parsed.
    @Test func aPatternIsCompiledOnce() throws {
        let long = String(repeating: "ab|", count: 200) + "c"
        let first = try #require(Pattern(long)), second = try #require(Pattern(long))
        #expect(first.regex === second.regex)
        #expect(Pattern("(") == nil && Pattern("(") == nil)
    }
}

@Suite struct ECMARegexTests {
    static func matches(_ pattern: String, _ text: String) -> Bool { Pattern(pattern)?.matches(text, budget: 100) == true }

    /// `\d`, `\w`, `\D`, `\W` are ASCII in ECMA-262, in classes too; `$` is the end of the input.
    @Test func classEscapesAreASCIIAsInECMA262() {
        #expect(Self.matches(#"^\d$"#, "5") && !Self.matches(#"^\d$"#, "٥"))  // Arabic-Indic five is no ECMA digit
        #expect(Self.matches(#"^[\D]$"#, "٥") && !Self.matches(#"^[\D]$"#, "5"))
        #expect(Self.matches(#"^[\W]$"#, "é") && !Self.matches(#"^[\W]$"#, "e") && Self.matches(#"^[\W]$"#, "-"))
        #expect(Self.matches(#"^[\w-]+$"#, "a_b-9") && !Self.matches(#"^[\w]+$"#, "é"))
        #expect(!Self.matches("^a$", "a\n"))
        #expect(!Self.matches("[]", "a") && Self.matches("^[^]$", "\n"))
    }
}
