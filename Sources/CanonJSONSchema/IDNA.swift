/// Host names under IDNA2008 (RFC 5890-5893) as far as the Swift standard library's Unicode
/// properties reach: label syntax, A-labels (Punycode that round-trips), code points by general
/// category with the RFC 5892 exceptions, the contextual rules of its Appendix A, and the Bidi rule
/// with bidi classes approximated by script blocks (the README says what is not covered).
enum IDNA {
    /// The labels of a host name; `international` also splits at the ideographic full stops.
    static func isHostname(_ text: String, international: Bool) -> Bool {
        guard !text.isEmpty else { return false }
        let separators: Set<Unicode.Scalar> = international ? [".", "\u{3002}", "\u{FF0E}", "\u{FF61}"] : ["."]
        var labels: [[Unicode.Scalar]] = [[]]
        for scalar in text.unicodeScalars {
            if separators.contains(scalar) { labels.append([]) } else { labels[labels.count - 1].append(scalar) }
        }
        var asciiLength = labels.count - 1
        var uLabels: [[Unicode.Scalar]] = []
        for label in labels {
            guard !label.isEmpty else { return false }
            if label.allSatisfy(\.isASCII) {
                guard label.count <= 63, isLDH(label) else { return false }
                asciiLength += label.count
                if label.count >= 4, label[2] == "-", label[3] == "-" {
                    // Only an A-label may have `--` here: `xn--` and Punycode that round-trips to a valid U-label.
                    guard label[0].properties.lowercaseMapping == "x", label[1].properties.lowercaseMapping == "n",
                        let decoded = Punycode.decode(ArraySlice(label.dropFirst(4).map { UInt8($0.value) })),
                        !decoded.allSatisfy(\.isASCII),
                        Punycode.encode(decoded).map({ String(String.UnicodeScalarView($0)).lowercased() })
                            == String(String.UnicodeScalarView(label.dropFirst(4))).lowercased(),
                        isULabel(decoded)
                    else { return false }
                    uLabels.append(decoded)
                } else {
                    uLabels.append(label)
                }
            } else {
                guard international, isULabel(label), let encoded = Punycode.encode(label), encoded.count + 4 <= 63 else { return false }
                asciiLength += encoded.count + 4
                uLabels.append(label)
            }
        }
        guard asciiLength <= 253 else { return false }
        return passesBidiRule(uLabels)
    }

    /// Letters, digits and hyphens, no hyphen first or last.
    private static func isLDH(_ label: [Unicode.Scalar]) -> Bool {
        guard label.first != "-", label.last != "-" else { return false }
        return label.allSatisfy { s in
            let v = s.value
            return (0x30...0x39).contains(v) || (0x41...0x5a).contains(v) || (0x61...0x7a).contains(v) || v == 0x2d
        }
    }

    /// RFC 5891 section 5.4 and RFC 5892 for one U-label.
    static func isULabel(_ label: [Unicode.Scalar]) -> Bool {
        guard !label.isEmpty, label.first != "-", label.last != "-" else { return false }
        if label.count >= 4, label[2] == "-", label[3] == "-" { return false }
        switch label[0].properties.generalCategory {
        case .spacingMark, .nonspacingMark, .enclosingMark: return false
        default: break
        }
        let arabicIndic = label.contains { (0x660...0x669).contains($0.value) }
        let extendedArabicIndic = label.contains { (0x6F0...0x6F9).contains($0.value) }
        if arabicIndic && extendedArabicIndic { return false }
        for (i, s) in label.enumerated() {
            let before = i > 0 ? label[i - 1] : nil, after = i + 1 < label.count ? label[i + 1] : nil
            switch s.value {
            case 0xB7:  // MIDDLE DOT: between two l's
                guard before == "l", after == "l" else { return false }
            case 0x375:  // GREEK LOWER NUMERAL SIGN: before Greek
                guard let after, isGreek(after) else { return false }
            case 0x5F3, 0x5F4:  // HEBREW GERESH, GERSHAYIM: after Hebrew
                guard let before, isHebrew(before) else { return false }
            case 0x30FB:  // KATAKANA MIDDLE DOT: with Hiragana, Katakana or Han in the label
                guard label.contains(where: { $0.value != 0x30FB && (isKana($0) || $0.properties.isIdeographic) }) else { return false }
            case 0x200D:  // ZERO WIDTH JOINER: after a virama
                guard let before, before.properties.canonicalCombiningClass == .virama else { return false }
            case 0x200C:  // ZERO WIDTH NON-JOINER: after a virama, or between joining letters
                if let before, before.properties.canonicalCombiningClass == .virama { continue }
                guard let before, let after, isArabicLetter(before), isArabicLetter(after) else { return false }
            case 0x660...0x669, 0x6F0...0x6F9: continue
            case 0xDF, 0x3C2, 0xF0B, 0x3007, 0x6FD, 0x6FE: continue  // PVALID exceptions
            case 0x640, 0x7FA, 0x302E, 0x302F, 0x3031...0x3035, 0x303B: return false  // DISALLOWED exceptions
            default:
                if s.isASCII {
                    guard isLDH([s]) || s == "-" else { return false }
                    continue
                }
                switch s.properties.generalCategory {
                case .lowercaseLetter, .otherLetter, .modifierLetter, .nonspacingMark, .spacingMark, .decimalNumber: continue
                default: return false
                }
            }
        }
        return true
    }

    private static func isGreek(_ s: Unicode.Scalar) -> Bool { (0x370...0x3FF).contains(s.value) || (0x1F00...0x1FFF).contains(s.value) }
    private static func isHebrew(_ s: Unicode.Scalar) -> Bool { (0x590...0x5FF).contains(s.value) }
    private static func isKana(_ s: Unicode.Scalar) -> Bool { (0x3040...0x30FF).contains(s.value) || (0x31F0...0x31FF).contains(s.value) }
    private static func isArabicLetter(_ s: Unicode.Scalar) -> Bool {
        isArabic(s) && s.properties.generalCategory == .otherLetter
    }
    private static func isArabic(_ s: Unicode.Scalar) -> Bool {
        let v = s.value
        return (0x600...0x6FF).contains(v) || (0x750...0x77F).contains(v) || (0x8A0...0x8FF).contains(v) || (0xFB50...0xFDFF).contains(v)
            || (0xFE70...0xFEFF).contains(v)
    }

    private enum BidiClass { case l, r, al, an, en, nsm, other }

    private static func bidiClass(_ s: Unicode.Scalar) -> BidiClass {
        let v = s.value
        if (0x30...0x39).contains(v) || (0x6F0...0x6F9).contains(v) { return .en }
        if (0x660...0x669).contains(v) { return .an }
        if s.properties.generalCategory == .nonspacingMark || s.properties.generalCategory == .enclosingMark { return .nsm }
        if isHebrew(s) || (0x7C0...0x7FF).contains(v) || (0xFB1D...0xFB4F).contains(v) { return .r }
        if isArabic(s) { return .al }
        if s == "-" { return .other }
        return s.properties.isAlphabetic ? .l : .other
    }

    /// RFC 5893 section 2, for a domain with a right-to-left label.
    private static func passesBidiRule(_ labels: [[Unicode.Scalar]]) -> Bool {
        let classes = labels.map { $0.map(bidiClass) }
        guard classes.contains(where: { $0.contains { [.r, .al, .an].contains($0) } }) else { return true }
        for label in classes {
            guard let first = label.first, [.l, .r, .al].contains(first) else { return false }
            let last = label.last(where: { $0 != .nsm })
            if first == .r || first == .al {
                guard !label.contains(.l), let last, [.r, .al, .en, .an].contains(last) else { return false }
                if label.contains(.en) && label.contains(.an) { return false }
            } else {
                guard !label.contains(where: { [.r, .al, .an].contains($0) }), let last, last == .l || last == .en else { return false }
            }
        }
        return true
    }
}

/// RFC 3492 Punycode.
enum Punycode {
    private static let base = 36, tMin = 1, tMax = 26, skew = 38, damp = 700, initialBias = 72, initialN = 128

    private static func adapt(_ delta: Int, _ count: Int, _ first: Bool) -> Int {
        var delta = first ? delta / damp : delta / 2
        delta += delta / count
        var k = 0
        while delta > ((base - tMin) * tMax) / 2 {
            delta /= base - tMin
            k += base
        }
        return k + (base - tMin + 1) * delta / (delta + skew)
    }

    private static func threshold(_ k: Int, _ bias: Int) -> Int { k <= bias ? tMin : (k >= bias + tMax ? tMax : k - bias) }

    private static func digit(_ d: Int) -> Unicode.Scalar { Unicode.Scalar(UInt8(d < 26 ? 0x61 + d : 0x30 + d - 26)) }

    static func decode(_ input: ArraySlice<UInt8>) -> [Unicode.Scalar]? {
        var output: [Unicode.Scalar] = []
        var rest = input
        if let delimiter = input.lastIndex(of: UInt8(ascii: "-")) {
            for byte in input[..<delimiter] {
                guard byte < 0x80 else { return nil }
                output.append(Unicode.Scalar(byte))
            }
            rest = input[(delimiter + 1)...]
        }
        var n = initialN, i = 0, bias = initialBias
        var position = rest.startIndex
        while position < rest.endIndex {
            let old = i
            var w = 1
            var k = base
            while true {
                guard position < rest.endIndex else { return nil }
                let c = rest[position] | 0x20
                position += 1
                let d: Int
                switch c {
                case UInt8(ascii: "a")...UInt8(ascii: "z"): d = Int(c - UInt8(ascii: "a"))
                case UInt8(ascii: "0")...UInt8(ascii: "9"): d = Int(c - UInt8(ascii: "0")) + 26
                default: return nil
                }
                let (product, overflow) = d.multipliedReportingOverflow(by: w)
                guard !overflow, i <= Int.max - product else { return nil }
                i += product
                let t = threshold(k, bias)
                if d < t { break }
                guard w <= Int.max / (base - t) else { return nil }
                w *= base - t
                k += base
            }
            bias = adapt(i - old, output.count + 1, old == 0)
            guard i / (output.count + 1) <= 0x10FFFF - n else { return nil }
            n += i / (output.count + 1)
            i %= output.count + 1
            guard n <= 0x10FFFF, let scalar = Unicode.Scalar(n) else { return nil }
            output.insert(scalar, at: i)
            i += 1
        }
        return output
    }

    /// The Punycode of a label (without `xn--`); nil when it overflows.
    static func encode(_ input: [Unicode.Scalar]) -> [Unicode.Scalar]? {
        var output: [Unicode.Scalar] = input.filter(\.isASCII)
        let basic = output.count
        var handled = basic
        if basic > 0 { output.append("-") }
        var n = initialN, delta = 0, bias = initialBias
        while handled < input.count {
            guard let m = input.map({ Int($0.value) }).filter({ $0 >= n }).min() else { return nil }
            let (step, overflow) = (m - n).multipliedReportingOverflow(by: handled + 1)
            guard !overflow else { return nil }
            delta += step
            n = m
            for scalar in input {
                let c = Int(scalar.value)
                if c < n { delta += 1 }
                if c == n {
                    var q = delta
                    var k = base
                    while true {
                        let t = threshold(k, bias)
                        if q < t { break }
                        output.append(digit(t + (q - t) % (base - t)))
                        q = (q - t) / (base - t)
                        k += base
                    }
                    output.append(digit(q))
                    bias = adapt(delta, handled + 1, handled == basic)
                    delta = 0
                    handled += 1
                }
            }
            delta += 1
            n += 1
        }
        return output
    }
}
