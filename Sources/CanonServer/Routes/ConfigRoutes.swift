import CanonCore
import CanonRegistry
import Hummingbird

/// `/config` and `/mode`, global and per subject: Confluent's ConfigResource and ModeResource.
enum ConfigRoutes {
    static func collection(registry: Registry, limit: Int) -> RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        @Sendable func levelJSON(_ level: CompatibilityLevel?, _ policy: CompatibilityPolicy? = nil) -> Response {
            var object: JSONObject = [:]
            if let level { object["compatibilityLevel"] = .string(level.rawValue) }
            if let policy { object["compatibilityPolicy"] = .string(policy.rawValue) }
            return RegistryServer.json(.object(object))
        }
        routes.get("/config") { _, _ in
            levelJSON(try await registry.compatibility(subject: nil), await registry.compatibilityPolicy(subject: nil))
        }
        routes.get("/config/:subject") { request, context in
            let subject = try RegistryServer.subject(context), toGlobal = RegistryServer.flag(request, "defaultToGlobal")
            let policy = await registry.compatibilityPolicy(subject: subject, defaultToGlobal: toGlobal)
            do {
                return levelJSON(try await registry.compatibility(subject: subject, defaultToGlobal: toGlobal), policy)
            } catch let error as RegistryError where policy != nil && error.code == 40408 {
                return levelJSON(nil, policy)  // a subject with only a policy of its own
            }
        }
        // `compatibility` and `compatibilityPolicy` (Confluent 8's config field), either or both.
        @Sendable func putConfig(_ request: Request, _ subject: String?) async throws -> Response {
            let body = try await RegistryServer.body(request, limit: limit)
            let levelText = body["compatibility"]?.stringValue ?? body["compatibilityLevel"]?.stringValue
            let policyText = body["compatibilityPolicy"]?.stringValue
            // Both checked before either is written: a bad field changes nothing.
            var level: CompatibilityLevel?
            if levelText != nil || policyText == nil {
                guard let parsed = CompatibilityLevel(name: levelText ?? "") else { throw RegistryError.invalidCompatibilityLevel }
                level = parsed
            }
            let policy = try policyText.map { text in
                guard let parsed = CompatibilityPolicy(name: text) else {
                    throw APIError(.unprocessableContent, 42203, "Invalid compatibility policy '\(text)' (LOGICAL, STRICT or LENIENT)")
                }
                return parsed
            }
            var answer: JSONObject = [:]
            if let level {
                try await registry.setCompatibility(level, subject: subject)
                answer["compatibility"] = .string(level.rawValue)
            }
            if let policy {
                try await registry.setCompatibilityPolicy(policy, subject: subject)
                answer["compatibilityPolicy"] = .string(policy.rawValue)
            }
            return RegistryServer.json(.object(answer))
        }
        routes.put("/config") { request, _ in try await putConfig(request, nil) }
        routes.put("/config/:subject") { request, context in try await putConfig(request, try RegistryServer.subject(context)) }
        routes.delete("/config") { _, _ in levelJSON(try await registry.deleteCompatibility(subject: nil)) }
        routes.delete("/config/:subject") { _, context in
            levelJSON(try await registry.deleteCompatibility(subject: try RegistryServer.subject(context)))
        }

        @Sendable func modeJSON(_ mode: RegistryMode) -> Response { RegistryServer.json(.object(["mode": .string(mode.rawValue)])) }
        routes.get("/mode") { _, _ in modeJSON(try await registry.mode(subject: nil)) }
        routes.get("/mode/:subject") { request, context in
            modeJSON(
                try await registry.mode(
                    subject: try RegistryServer.subject(context), defaultToGlobal: RegistryServer.flag(request, "defaultToGlobal")))
        }
        @Sendable func putMode(_ request: Request, _ subject: String?) async throws -> Response {
            let text = try await RegistryServer.body(request, limit: limit)["mode"]?.stringValue ?? ""
            guard let mode = RegistryMode(rawValue: text.uppercased()) else { throw RegistryError.invalidMode(text) }
            try await registry.setMode(mode, subject: subject, force: RegistryServer.flag(request, "force"))
            return modeJSON(mode)
        }
        routes.put("/mode") { request, _ in try await putMode(request, nil) }
        routes.put("/mode/:subject") { request, context in try await putMode(request, try RegistryServer.subject(context)) }
        routes.delete("/mode") { _, _ in modeJSON(try await registry.deleteMode(subject: nil)) }
        routes.delete("/mode/:subject") { _, context in
            modeJSON(try await registry.deleteMode(subject: try RegistryServer.subject(context)))
        }
        return routes
    }
}
