import ArgumentParser
import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import RaftSim
import RaftCheckFiles

/// `raftcheck explore SPEC [TRACE]`: a web page on 127.0.0.1 where a user steps the production
/// core by hand: the current state, the events enabled in it, every property on it; take an
/// event, go back, start again, or save the path as a trace (stateright's Explorer, for
/// RaftCore). A trace's events are taken first, on SPEC's cluster (a trace found on another
/// spec, or on a mutation SPEC lacks, may diverge: exit 2). It serves until the process is
/// stopped (Ctrl-C).
struct Explore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Step a spec's cluster by hand in the browser (a local web server on 127.0.0.1).")

    @Argument(help: "The spec file (YAML; a cluster spec).")
    var spec: String

    @Argument(help: "A trace to start from: its events are taken first, on SPEC's cluster.")
    var trace: String?

    @Option(help: "The port on 127.0.0.1 (0: any free port; the address is printed).")
    var port = 8080

    @Option(help: "Run against a bug-zoo mutation of RaftCore (or 'none'), overriding the spec.")
    var mutation: String?

    func validate() throws {
        guard (0...65535).contains(port) else { throw ValidationError("--port must be between 0 and 65535") }
    }

    func run() throws {
        guard case .cluster(var spec) = try SpecLoader.load(path: self.spec) else {
            throw InputError(file: self.spec, field: "model", message: "explore steps a cluster spec (raft-tla specs are checked only)")
        }
        if let mutation { spec.override(mutation: mutation) }
        if let problem = spec.problems().first { throw InputError(file: self.spec, field: problem.field, message: problem.message) }
        let events = try trace.map { (path) throws(InputError) in try TraceFile.read(path).events } ?? []
        let session: ExplorerSession
        do {
            session = try ExplorerSession(spec: spec, events: events)
        } catch {
            throw InputError(file: trace ?? self.spec, field: "events[\(error.index)]",
                             message: "event \(error.index + 1) is not enabled where it occurs on \(self.spec)'s cluster (the trace diverged)")
        }
        let origin = trace.map { "\(self.spec) from \($0)" } ?? self.spec
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        let channel: Channel
        do {
            channel = try ServerBootstrap(group: group)
                .serverChannelOption(ChannelOptions.socketOption(.so_reuseaddr), value: 1)
                .childChannelInitializer { channel in
                    channel.pipeline.configureHTTPServerPipeline().flatMap {
                        channel.pipeline.addHandler(ExplorerHTTPHandler(session: session))
                    }
                }
                .bind(host: "127.0.0.1", port: port).wait()
        } catch {
            throw InputError(file: "127.0.0.1:\(port)", field: "--port", message: "cannot listen: \(error)")
        }
        // Ctrl-C and SIGTERM end the server.
        signal(SIGINT, SIG_DFL)
        signal(SIGTERM, SIG_DFL)
        unblockInterrupts()
        print("raftcheck explore \(origin): spec '\(spec.name)', mutation \(spec.mutation ?? "none"), \(events.count) events taken")
        print("explore: http://127.0.0.1:\(channel.localAddress?.port ?? port)/")
        flushOutput()
        try channel.closeFuture.wait()
    }
}

/// One HTTP connection of the explorer: GET / (the page), GET /api/state, POST
/// /api/take/N, /api/back, /api/reset, GET /api/trace. Every handler runs on the server's one
/// event loop, so the session sees one request at a time.
final class ExplorerHTTPHandler: ChannelInboundHandler, @unchecked Sendable {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let session: ExplorerSession
    private var head: HTTPRequestHead?

    init(session: ExplorerSession) { self.session = session }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let head): self.head = head
        case .body: break
        case .end:
            guard let head else { return }
            self.head = nil
            let (status, type, body) = respond(head.method, head.uri)
            var headers = HTTPHeaders()
            headers.add(name: "Content-Type", value: type)
            headers.add(name: "Content-Length", value: "\(body.count)")
            headers.add(name: "Cache-Control", value: "no-store")
            if !head.isKeepAlive { headers.add(name: "Connection", value: "close") }
            context.write(wrapOutboundOut(.head(HTTPResponseHead(version: head.version, status: status, headers: headers))), promise: nil)
            context.write(wrapOutboundOut(.body(.byteBuffer(context.channel.allocator.buffer(bytes: body)))), promise: nil)
            let keepAlive = head.isKeepAlive
            context.writeAndFlush(wrapOutboundOut(.end(nil))).whenComplete { [context] _ in
                if !keepAlive { context.close(promise: nil) }
            }
        }
    }

    private func respond(_ method: HTTPMethod, _ uri: String) -> (HTTPResponseStatus, String, Data) {
        let path = String(uri.prefix { $0 != "?" && $0 != "#" })
        let json = "application/json"
        func failed(_ status: HTTPResponseStatus, _ message: String) -> (HTTPResponseStatus, String, Data) {
            (status, json, Data("{\"error\":\(String(reflecting: message))}".utf8))
        }
        switch (method, path) {
        case (.GET, "/"): return (.ok, "text/html; charset=utf-8", Data(ExplorePage.html.utf8))
        case (.GET, "/api/state"): return (.ok, json, session.json())
        case (.GET, "/api/trace"): return (.ok, json, session.trace())
        case (.POST, "/api/back"):
            return session.back() ? (.ok, json, session.json()) : failed(.conflict, "already at the initial state")
        case (.POST, "/api/reset"):
            session.reset()
            return (.ok, json, session.json())
        case (.POST, _) where path.hasPrefix("/api/take/"):
            guard let index = Int(path.dropFirst("/api/take/".count)) else { return failed(.badRequest, "expected /api/take/N") }
            return session.take(index) ? (.ok, json, session.json()) : failed(.conflict, "event \(index) is not enabled here, changes nothing, or leaves the bounds")
        default:
            return failed(.notFound, "no such page: \(method) \(path)")
        }
    }
}
