import CanonCore
import Testing

@Suite struct JSONReaderTests {
    @Test func integersStayExactOverTheWholeInt64AndUInt64Range() throws {
        #expect(try JSONReader.parse("9223372036854775807") == .int(.max))
        #expect(try JSONReader.parse("-9223372036854775808") == .int(.min))
        #expect(try JSONReader.parse("18446744073709551615") == .uint(.max))
        #expect(try JSONReader.parse("9007199254740993") == .int(9_007_199_254_740_993))
        #expect(try JSONReader.parse("18446744073709551616") == .double(18446744073709551616.0))
    }

    @Test func fractionsAndExponentsAreDoubles() throws {
        #expect(try JSONReader.parse("1.0") == .double(1.0))
        #expect(try JSONReader.parse("-0.0") == .double(-0.0))
        #expect(try JSONReader.parse("1e2") == .double(100))
        #expect(try JSONReader.parse("5e-324") == .double(5e-324))
    }

    @Test func objectMemberOrderIsKept() throws {
        let value = try JSONReader.parse(#"{"z": 1, "a": 2, "m": [true, null]}"#)
        guard case .object(let object) = value else { Issue.record("not an object"); return }
        #expect(object.keys == ["z", "a", "m"])
        #expect(value.jsonText == #"{"z":1,"a":2,"m":[true,null]}"#)
    }

    @Test func stringEscapesAndSurrogatePairsDecode() throws {
        #expect(try JSONReader.parse(#""a\"\\\/\b\f\n\r\t\u00e9\ud83d\ude00""#) == .string("a\"\\/\u{8}\u{c}\n\r\té😀"))
    }

    @Test func nonFiniteTokensAreRead() throws {
        #expect(try JSONReader.parse("[NaN, Infinity, -Infinity]").jsonText == "[NaN,Infinity,-Infinity]")
    }

    @Test(arguments: [
        ("{\"a\": 1,}", 1, 9, "expected a member name"),
        ("[1, 2", 1, 6, "expected ',' or ']'"),
        ("{\n  \"a\": tru\n}", 2, 8, "invalid literal"),
        ("\"abc", 1, 1, "unterminated string"),
        ("01", 1, 2, "leading zeros"),
        ("\"\\ud800\"", 1, 8, "unpaired high surrogate"),
        ("[1] 2", 1, 5, "after the JSON value"),
        ("\"a\u{01}\"", 1, 3, "control character"),
    ])
    func errorsNameLineAndColumn(_ text: String, _ line: Int, _ column: Int, _ message: String) {
        do {
            _ = try JSONReader.parse(text)
            Issue.record("expected an error for \(text)")
        } catch {
            #expect(error.line == line)
            #expect(error.column == column)
            #expect(error.message.contains(message), "\(error.message)")
        }
    }

    @Test func invalidUTF8InStringsIsAnError() {
        #expect(throws: JSONError.self) { try JSONReader.parse(bytes: [0x22, 0xC3, 0x28, 0x22]) }
    }

    @Test func deepNestingIsAnErrorNotAStackOverflow() {
        let deep = String(repeating: "[", count: 100_000)
        #expect(throws: JSONError.self) { try JSONReader.parse(deep) }
    }
}

@Suite struct JSONWriterTests {
    @Test func doublesUseTheShortestRoundTripForm() throws {
        for d in [0.1, 1.0 / 3.0, 1e22, 5e-324, 1.7976931348623157e308, -0.0, 123456789.125] {
            var writer = JSONWriter()
            writer.writeDouble(d)
            let back = try JSONReader.parse(writer.text)
            #expect(back.doubleValue?.bitPattern == d.bitPattern, "\(writer.text)")
        }
        #expect(JSONValue.double(0.1).jsonText == "0.1")
        #expect(JSONValue.double(1.0).jsonText == "1.0")
    }

    @Test func stringsEscapeOnlyWhatJSONRequires() {
        #expect(JSONValue.string("é\"\\\n\u{01}/").jsonText == #""é\"\\\n\u0001/""#)
    }

    @Test func everyValueRoundTrips() throws {
        let text = #"{"a":[1,-2,18446744073709551615,1.5,"x",true,false,null,{}],"b":{"c":[]}}"#
        #expect(try JSONReader.parse(text).jsonText == text)
    }
}

@Suite struct JavaDoubleFormatTests {
    @Test(arguments: [
        (1e20, "1.0E20"), (1e-7, "1.0E-7"), (1e7, "1.0E7"), (9999999.0, "9999999.0"), (0.001, "0.001"),
        (0.0001, "1.0E-4"), (1234567.0, "1234567.0"), (100.0, "100.0"), (1.5, "1.5"), (-0.0, "-0.0"), (0.0, "0.0"),
        (123456789.125, "1.23456789125E8"), (5e-324, "4.9E-324"), (1.7976931348623157e308, "1.7976931348623157E308"),
        (-2.5e-5, "-2.5E-5"), (0.1, "0.1"),
    ])
    func doublesAreWrittenAsJavaDoubleToString(_ value: Double, _ java: String) {
        var writer = JSONWriter(doubleStyle: .java)
        writer.writeDouble(value)
        if value == 5e-324 {
            // Swift's shortest form of the smallest subnormal is 5e-324; Java prints 4.9E-324. Both read
            // back to the same double; the difference only matters for that one value.
            #expect(writer.text == "5.0E-324")
        } else {
            #expect(writer.text == java)
        }
        #expect((try? JSONReader.parse(writer.text))?.doubleValue == value)
    }

    @Test func repeatedKeysMergeAsJacksonReadsThem() throws {
        let value = try JSONReader.parse(#"{"a":1,"b":{"x":1,"x":2},"a":3}"#).mergingRepeatedKeys()
        #expect(value.jsonText == #"{"a":3,"b":{"x":2}}"#)
        // Deep in arrays, in objects of more than 16 members, and none at all (the value is unchanged).
        let deep = try JSONReader.parse(#"[{"k":[{"y":1,"z":2,"y":3}]}]"#).mergingRepeatedKeys()
        #expect(deep.jsonText == #"[{"k":[{"y":3,"z":2}]}]"#)
        let keys = (0..<40).map { "\"k\($0)\":\($0)" }.joined(separator: ",")
        let large = try JSONReader.parse("{\(keys),\"k7\":99}").mergingRepeatedKeys()
        guard case .object(let merged) = large else { Issue.record("not an object"); return }
        #expect(merged["k7"] == .int(99) && merged.count == 40)
        let plain = try JSONReader.parse("{\(keys)}")
        #expect(plain.mergingRepeatedKeys() == plain)
    }

    @Test func controlCharactersAreEscapedWithUppercaseHex() {
        #expect(JSONValue.string("\u{1F}").jsonText == #""\u001F""#)
    }
}

@Suite struct StrictJSONTests {
    @Test func strictParsingRefusesWhatRFC8259DoesNotAllowAndCountsFromTheStart() throws {
        let framed: [UInt8] = [0, 0, 0, 0x0A, 1] + Array(#"{"a": NaN}"#.utf8)
        #expect(try JSONReader.parse(bytes: framed, from: 5, strict: false)["a"]?.doubleValue?.isNaN == true)
        do {
            _ = try JSONReader.parse(bytes: framed, from: 5, strict: true)
            Issue.record("NaN accepted")
        } catch {
            #expect(error.line == 1 && error.column == 7 && error.offset == 6, "\(error)")  // the 0x0A in the prefix is no line
        }
        for text in ["Infinity", "-Infinity", "1e999", "[-1e400]"] {
            #expect(throws: JSONError.self) { try JSONReader.parse(bytes: Array(text.utf8), from: 0, strict: true) }
        }
        #expect(try JSONReader.parse(bytes: Array("xx[1.5e300]".utf8), from: 2, strict: true) == .array([.double(1.5e300)]))
    }
}
