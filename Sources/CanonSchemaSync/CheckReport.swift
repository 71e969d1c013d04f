import CanonCodegen
import CanonCore

/// The printed forms of a check: a table for people, JSON for tools, GitHub Actions annotations.
public enum CheckReport {
    /// One line a subject, in the mapping's order, with each incompatibility under its subject.
    public static func table(_ checks: [SubjectCheck], unmapped: [String]) -> String {
        let rows = checks.map { ($0.entry.subject, $0.entry.file ?? "(\($0.entry.origin))", summary($0)) }
        let w0 = max("SUBJECT".count, rows.map(\.0.count).max() ?? 0)
        let w1 = max("SCHEMA".count, rows.map(\.1.count).max() ?? 0)
        func pad(_ s: String, _ w: Int) -> String { s + String(repeating: " ", count: max(0, w - s.count)) }
        var lines = ["\(pad("SUBJECT", w0))  \(pad("SCHEMA", w1))  RESULT"]
        for (check, row) in zip(checks, rows) {
            lines.append("\(pad(row.0, w0))  \(pad(row.1, w1))  \(row.2)")
            switch check.status {
            case .incompatible(let problems):
                for p in shown(problems) { lines.append("    - \(describe(p))") }
            case .rejected(let code, let message):
                lines.append("    - \(code): \(message)")
            default:
                break
            }
        }
        for file in unmapped { lines.append("(not mapped to a subject: \(file))") }
        return lines.joined(separator: "\n")
    }

    /// The verdict in words: `unchanged (version 2, id 7)`, `new version, compatible (BACKWARD)`, ...
    public static func summary(_ check: SubjectCheck) -> String {
        let level = check.level.map { " (\($0))" } ?? ""
        switch check.status {
        case .unchanged(let id, let version):
            return "unchanged (version \(version), id \(id)\(check.newerLatest.map { "; the latest is version \($0)" } ?? ""))"
        case .newSubject: return "new subject"
        case .newVersion: return "new version, compatible\(level)"
        case .incompatible(let problems):
            let version = problems.compactMap(\.oldSchemaVersion).first.map { " with version \($0)" } ?? ""
            return "incompatible\(version)\(level)"
        case .rejected: return "rejected by the registry"
        }
    }

    /// The difference messages; all messages when none is a difference (a registry that words them otherwise).
    static func shown(_ problems: [CompatibilityProblem]) -> [CompatibilityProblem] {
        let differences = problems.filter(\.isDifference)
        return differences.isEmpty ? problems : differences
    }

    static func describe(_ problem: CompatibilityProblem) -> String {
        var parts: [String] = []
        if let type = problem.errorType { parts.append(type) }
        if let path = problem.path { parts.append("at \(path)") }
        if let field = problem.field { parts.append("(field '\(field)')") }
        return parts.isEmpty ? problem.description : "\(parts.joined(separator: " ")): \(problem.description)"
    }

    /// The whole check as one JSON document: `{"registry", "result", "subjects": [...]}`.
    public static func json(_ checks: [SubjectCheck], unmapped: [String], registry: String) -> String {
        let subjects: [JSONValue] = checks.map { check in
            var o: JSONObject = [
                "subject": .string(check.entry.subject), "file": check.entry.file.map(JSONValue.string) ?? .null,
                "origin": .string(check.entry.origin), "status": .string(check.status.keyword),
            ]
            if let level = check.level { o["level"] = .string(level) }
            switch check.status {
            case .unchanged(let id, let version):
                o["id"] = .int(Int64(id))
                o["version"] = .int(Int64(version))
                if let latest = check.newerLatest { o["latest"] = .int(Int64(latest)) }
            case .incompatible(let problems):
                o["messages"] = .array(
                    problems.map { p in
                        var m: JSONObject = ["message": .string(p.message), "description": .string(p.description)]
                        if let t = p.errorType { m["errorType"] = .string(t) }
                        if let path = p.path { m["path"] = .string(path) }
                        if let f = p.field { m["field"] = .string(f) }
                        return .object(m)
                    })
            case .rejected(let code, let message):
                o["messages"] = .array([.object(["error_code": .int(Int64(code)), "message": .string(message)])])
            default:
                break
            }
            return .object(o)
        }
        let failed = checks.contains { !$0.status.isAcceptable }
        return JSONValue.object([
            "registry": .string(registry), "result": .string(failed ? "incompatible" : "ok"), "subjects": .array(subjects),
            "unmapped": .array(unmapped.map(JSONValue.string)),
        ]).indentedText
    }

    /// GitHub Actions workflow commands: an `::error` line for each incompatibility or refusal, on the
    /// line of the schema file that declares the field it names (else line 1). `files` gives the
    /// schema texts by path; `prefix` is the path from the repository's root to the config's folder.
    public static func github(_ checks: [SubjectCheck], files: [String: String], prefix: String) -> String {
        var lines: [String] = []
        for check in checks {
            let path = check.entry.file.map { prefix.isEmpty ? $0 : "\(prefix)/\($0)" }
            func annotate(_ message: String, field: String?) {
                let text = message.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D")
                    .replacingOccurrences(of: "\n", with: "%0A")
                let title = "\(check.entry.subject): \(check.status.keyword)"
                if let path {
                    let number = field.flatMap { Self.line(declaring: $0, in: files[check.entry.file!] ?? "") } ?? 1
                    lines.append("::error file=\(escapeProperty(path)),line=\(number),title=\(escapeProperty(title))::\(text)")
                } else {
                    lines.append("::error title=\(escapeProperty(title))::\(text)")
                }
            }
            switch check.status {
            case .incompatible(let problems):
                if problems.isEmpty { annotate("incompatible with the subject's level \(check.level ?? "")", field: nil) }
                // Paths of a self-contained check point into the rendered form, not into the file.
                for p in shown(problems) {
                    annotate(
                        describe(p),
                        field: check.checkedSelfContained ? nil : p.field ?? fieldName(at: p.path, in: files[check.entry.file ?? ""]))
                }
            case .rejected(let code, let message):
                annotate("\(code): \(message)", field: nil)
            default:
                break
            }
        }
        return lines.joined(separator: "\n")
    }

    static func escapeProperty(_ s: String) -> String {
        s.replacingOccurrences(of: "%", with: "%25").replacingOccurrences(of: "\r", with: "%0D").replacingOccurrences(of: "\n", with: "%0A")
            .replacingOccurrences(of: ":", with: "%3A").replacingOccurrences(of: ",", with: "%2C")
    }

    /// The field a JSON pointer such as `/fields/2/type` points into, read from the schema text.
    static func fieldName(at pointer: String?, in text: String?) -> String? {
        guard let pointer, let text, var node = try? JSONReader.parse(text) else { return nil }
        var field: String?
        for token in pointer.split(separator: "/").map(String.init) {
            if case .array(let items) = node, let i = Int(token), items.indices.contains(i) {
                node = items[i]
            } else if let next = node[token] {
                node = next
            } else {
                break
            }
            if let name = node["name"]?.stringValue, node["type"] != nil { field = name }
        }
        return field
    }

    /// The 1-based line of `"name": "<field>"` in a schema text.
    static func line(declaring field: String, in text: String) -> Int? {
        let quoted = JSONValue.string(field).jsonText
        for (i, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let compact = line.filter { $0 != " " && $0 != "\t" }
            if compact.contains("\"name\":\(quoted)") { return i + 1 }
        }
        return nil
    }
}
