import CanonCore
import Hummingbird

/// What a web page could make a browser send to a server it can reach: refused unless the server says
/// otherwise.
/// - **DNS rebinding**: bound to loopback, the server answers only requests whose `Host` is one of its
///   own names (`allowedHosts`); a page whose name was rebound to 127.0.0.1 sends its own name.
/// - **Cross-site writes**: a request that changes something (POST, PUT, DELETE, PATCH) and carries an
///   `Origin` (browsers add it; command-line and library clients do not) must come from the server's
///   own origin or one of `corsOrigins`; those also get CORS answers (`Access-Control-Allow-Origin`, and
///   preflight `OPTIONS`).
/// Refusals are 403 with the API's JSON error body.
struct OriginGuard<Context: RequestContext>: RouterMiddleware {
    /// Lower-case host names (without port) the server answers to; nil: any.
    var allowedHosts: Set<String>?
    /// Origins (`scheme://host[:port]`) whose pages may write, and read the answers.
    var corsOrigins: Set<String>

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let authority = request.head.authority ?? ""
        if let allowedHosts, !allowedHosts.contains(Self.hostname(authority)) {
            return APIError(
                .forbidden, 40301,
                "Host '\(authority.prefix(100))' is not a name this server answers to (it listens on loopback; see --allowed-host)"
            ).response(contentType: "application/json")
        }
        let origin = request.headers[.origin]
        let allowedOrigin = origin.map { corsOrigins.contains(Self.normalized(origin: $0)) } ?? false
        if request.method == .options, allowedOrigin, let origin {
            var headers = HTTPFields()
            headers[.accessControlAllowOrigin] = origin
            headers[.accessControlAllowMethods] = "GET, POST, PUT, DELETE"
            headers[.accessControlAllowHeaders] = request.headers[.accessControlRequestHeaders] ?? "Content-Type, Accept"
            headers[.vary] = "Origin"
            return Response(status: .noContent, headers: headers)
        }
        if [.post, .put, .delete, .patch].contains(request.method), let origin, !allowedOrigin,
            !Self.isSameOrigin(origin, authority: authority)
        {
            return APIError(
                .forbidden, 40301, "cross-origin writes are refused (Origin '\(origin.prefix(100))'; see --cors-origin)"
            ).response(contentType: "application/json")
        }
        var response = try await next(request, context)
        if allowedOrigin, let origin {
            response.headers[.accessControlAllowOrigin] = origin
            response.headers[.vary] = "Origin"
        }
        return response
    }

    /// An origin as browsers send it: lower-case, without its scheme's default port.
    static func normalized(origin: String) -> String {
        let lower = origin.lowercased()
        for (scheme, port) in [("http://", ":80"), ("https://", ":443")] where lower.hasPrefix(scheme) && lower.hasSuffix(port) {
            return String(lower.dropLast(port.count))
        }
        return lower
    }

    /// The host of an authority (`[::1]:8081` -> `[::1]`, `Localhost:80` -> `localhost`).
    static func hostname(_ authority: String) -> String {
        let lower = authority.lowercased()
        if lower.hasPrefix("[") { return lower.firstIndex(of: "]").map { String(lower[...$0]) } ?? lower }
        return lower.split(separator: ":", maxSplits: 1).first.map(String.init) ?? lower
    }

    /// Whether `origin` (`http://host:port`) is the server the request reached.
    static func isSameOrigin(_ origin: String, authority: String) -> Bool {
        guard let schemeEnd = origin.range(of: "://") else { return false }
        let host = origin[schemeEnd.upperBound...].lowercased()
        let scheme = origin[..<schemeEnd.lowerBound].lowercased()
        let defaultPort = scheme == "https" ? ":443" : ":80"
        let requested = authority.lowercased()
        return host == requested || host + defaultPort == requested || host == requested + defaultPort
    }

}

extension ServerConfiguration {
    /// An origin as browsers send it (for `corsOrigins`): lower-case, without its scheme's default port.
    public static func normalized(origin: String) -> String { OriginGuard<BasicRequestContext>.normalized(origin: origin) }

    /// The names a server bound to `host` answers to: for loopback, its own names and `extra`; beyond
    /// loopback, `extra` when given, otherwise any (nil).
    public static func loopbackNames(host: String, extra: [String]) -> Set<String>? {
        let loopback = ["127.0.0.1", "localhost", "::1", "[::1]"]
        guard loopback.contains(host.lowercased()) || host.hasPrefix("127.") else {
            return extra.isEmpty ? nil : Set(extra.map { $0.lowercased() })
        }
        let own = host.contains(":") && !host.hasPrefix("[") ? "[\(host.lowercased())]" : host.lowercased()
        return Set(["localhost", "127.0.0.1", "[::1]", own] + extra.map { $0.lowercased() })
    }
}
