import Foundation
import Hummingbird

/// Content negotiation as Confluent's registry resources declare it (JAX-RS `@Produces`/`@Consumes`):
///
/// - answers are `application/vnd.schemaregistry.v1+json` (server quality 1), `application/vnd.schemaregistry+json`
///   (0.9) or `application/json` (0.5), whichever the `Accept` header ranks first (its q-values first, then
///   the server's; no header is `*/*`); 406 when it accepts none of them;
/// - request bodies are one of those types or `application/octet-stream` (no `Content-Type` counts as
///   that), else 415; a declared `charset` other than UTF-8 is decoded (UTF-16 variants, ISO-8859-1,
///   US-ASCII), and an unknown one is 415.
struct ContentNegotiation<Context: RequestContext>: RouterMiddleware {
    /// The limit of a body decoded from another charset (the routes apply the server's own limit after).
    let maximumBodyBytes: Int

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let accept = request.headers[values: .accept]
        // No Accept header (most clients) is */*, which Confluent's own type wins.
        guard let answerType = accept.isEmpty ? RegistryServer.contentType : MediaTypes.negotiate(accept: accept.joined(separator: ","))
        else {
            return Self.plainError(406, "HTTP 406 Not Acceptable")
        }
        var request = request
        // Clients send one of the registry's own types, without parameters: no parsing for them.
        if let contentType = request.headers[.contentType], request.method == .post || request.method == .put,
            !MediaTypes.consumed.contains(contentType)
        {
            let media = MediaRange(contentType)
            guard MediaTypes.consumed.contains(media.type) else { return Self.plainError(415, "HTTP 415 Unsupported Media Type") }
            if let charset = media.parameters["charset"], !["utf-8", "utf8"].contains(charset) {
                guard let encoding = MediaTypes.encoding(charset) else { return Self.plainError(415, "HTTP 415 Unsupported Media Type") }
                guard let body = try? await request.body.collect(upTo: maximumBodyBytes) else {
                    return Self.plainError(413, "Request body is larger than the limit of \(maximumBodyBytes) bytes")
                }
                guard let text = String(data: Data(buffer: body), encoding: encoding) else {
                    return Self.plainError(400, "The request body is not \(charset)")
                }
                request.body = RequestBody(buffer: ByteBuffer(string: text))
            }
        }
        var response = try await next(request, context)
        if answerType != RegistryServer.contentType, response.headers[.contentType] == RegistryServer.contentType {
            response.headers[.contentType] = answerType
        }
        return response
    }

    /// Jersey's answer for a failed negotiation, as Confluent's error mapper renders it.
    static func plainError(_ status: Int, _ message: String) -> Response {
        APIError(.init(code: status), status, message).response(contentType: "application/json")
    }
}

/// The media types of Confluent's resources, and the negotiation over them.
enum MediaTypes {
    /// What the registry produces, with the server's quality of each.
    static let produced: [(type: String, quality: Double)] = [
        (RegistryServer.contentType, 1), ("application/vnd.schemaregistry+json", 0.9), ("application/json", 0.5),
    ]

    /// What the registry reads.
    static let consumed: Set<String> = [
        RegistryServer.contentType, "application/vnd.schemaregistry+json", "application/json", "application/octet-stream",
    ]

    /// The answer's type for an `Accept` header, or `nil` when none of ours is acceptable.
    static func negotiate(accept: String) -> String? {
        let ranges = accept.split(separator: ",").map { MediaRange(String($0)) }.filter { !$0.type.isEmpty }
        let accepted = ranges.isEmpty ? [MediaRange("*/*")] : ranges
        var best: (type: String, q: Double, qs: Double)?
        for (type, qs) in produced {
            // The most specific range that matches the type decides its q.
            guard let range = accepted.filter({ $0.matches(type) }).max(by: { $0.specificity < $1.specificity }), range.quality > 0 else {
                continue
            }
            if best == nil || (range.quality, qs) > (best!.q, best!.qs) { best = (type, range.quality, qs) }
        }
        return best?.type
    }

    static func encoding(_ charset: String) -> String.Encoding? {
        switch charset {
        case "utf-16": return .utf16
        case "utf-16le": return .utf16LittleEndian
        case "utf-16be": return .utf16BigEndian
        case "iso-8859-1", "latin1": return .isoLatin1
        case "us-ascii", "ascii": return .ascii
        default: return nil
        }
    }

}

/// A media type or range with its parameters (`application/json; charset=utf-8; q=0.5`), lower-cased.
struct MediaRange {
    var type: String
    var parameters: [String: String] = [:]

    init(_ text: String) {
        let parts = text.split(separator: ";").map { $0.trimmingCharacters(in: .whitespaces) }
        type = parts.first?.lowercased() ?? ""
        for part in parts.dropFirst() {
            guard let eq = part.firstIndex(of: "=") else { continue }
            let value = part[part.index(after: eq)...].trimmingCharacters(in: CharacterSet(charactersIn: "\" "))
            parameters[part[..<eq].trimmingCharacters(in: .whitespaces).lowercased()] = value.lowercased()
        }
    }

    /// The client's quality (`q`, 1 when absent; out-of-range values clamp).
    var quality: Double { min(1, max(0, parameters["q"].flatMap(Double.init) ?? 1)) }

    /// 2 for `type/subtype`, 1 for `type/*`, 0 for `*/*`.
    var specificity: Int { type == "*/*" ? 0 : type.hasSuffix("/*") ? 1 : 2 }

    func matches(_ concrete: String) -> Bool {
        if type == "*/*" { return true }
        if type.hasSuffix("/*") { return concrete.hasPrefix(type.dropLast()) }
        return type == concrete
    }
}
