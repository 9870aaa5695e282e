// The proxy route the proxy tests share: /app/ by prefix, every method, to `upstreams`.
@testable import Ringmaster

extension RouteConfiguration {
    static func proxy(_ upstreams: [String], options: (inout ProxyOptions) -> Void = { _ in }) -> RouteConfiguration {
        var proxy = ProxyOptions(upstreams: upstreams.map { UpstreamAddress.parse($0)! })
        options(&proxy)
        var route = RouteConfiguration(path: "/app/", methods: RouteParser.methods, kind: "proxy", body: "")
        route.match = "prefix"
        route.proxy = proxy
        return route
    }
}
