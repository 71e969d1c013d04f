import CanonCore
import CanonRegistry
import Hummingbird

/// `/config` and `/mode`, global and per subject: Confluent's ConfigResource and ModeResource.
enum ConfigRoutes {
    static func collection(registry: Registry, limit: Int) -> RouteCollection<BasicRequestContext> {
        let routes = RouteCollection(context: BasicRequestContext.self)
        @Sendable func levelJSON(_ level: CompatibilityLevel) -> Response {
            RegistryServer.json(.object(["compatibilityLevel": .string(level.rawValue)]))
        }
        routes.get("/config") { _, _ in levelJSON(try await registry.compatibility(subject: nil)) }
        routes.get("/config/:subject") { request, context in
            levelJSON(
                try await registry.compatibility(
                    subject: try RegistryServer.subject(context), defaultToGlobal: RegistryServer.flag(request, "defaultToGlobal")))
        }
        @Sendable func putConfig(_ request: Request, _ subject: String?) async throws -> Response {
            let text = try await RegistryServer.body(request, limit: limit)["compatibility"]?.stringValue ?? ""
            guard let level = CompatibilityLevel(name: text) else { throw RegistryError.invalidCompatibilityLevel }
            try await registry.setCompatibility(level, subject: subject)
            return RegistryServer.json(.object(["compatibility": .string(level.rawValue)]))
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
