import NIOCore
import NIOHTTPTypes

/// How long a connection may take over each part of a request, in seconds (hub.toml `[connections]`).
public struct ConnectionLimits: Sendable, Equatable {
    /// A new connection must send a complete request head within this time.
    public var headerTimeout: Double = 10
    /// A kept-alive connection may wait this long for its next request head.
    public var idleTimeout: Double = 60
    /// A request's whole body must arrive within this time after its head.
    public var bodyTimeout: Double = 120
    /// After a refusal that left a body unread: how long the rest may drain before the connection closes.
    public var lingerTimeout: Double = 2

    public init() {}
}

extension NIODeadline {
    static func + (lhs: NIODeadline, seconds: Double) -> NIODeadline {
        lhs + .nanoseconds(Int64(seconds * 1e9))
    }
}

/// The deadlines of one HTTP/1.1 connection as a value that returns actions (tested step by step in
/// `ConnectionDeadlinesTests`). Time is passed in, so the machine never reads a clock.
///
/// A slow or stalled head, an idle keep-alive connection and a trickling body each end at a deadline;
/// while the hub computes an answer (a long-poll included) no deadline runs.
public struct ConnectionDeadlines: Sendable, Equatable {
    public enum Phase: Sendable, Equatable {
        /// Waiting for a request head: the connection's first (`first`) or a kept-alive one's next.
        case awaitingHead(first: Bool)
        /// The head came; its body is arriving.
        case readingBody
        /// The request is read; the hub is answering.
        case responding
        /// Answered early while the body was still arriving; waiting for its end to read the next head.
        case answeredEarly
        /// Told the client it closes; the rest of the request may drain until the deadline.
        case closing
    }

    public enum Action: Sendable, Equatable {
        case none
        /// Arm the one timer for `at` (replacing any armed one).
        case schedule(at: NIODeadline)
        /// Disarm the timer.
        case cancel
        /// Stop writing and let the unread rest drain until `until`, then close.
        case linger(until: NIODeadline)
        /// Close the connection now.
        case close
    }

    public private(set) var phase: Phase = .awaitingHead(first: true)
    public let limits: ConnectionLimits

    public init(limits: ConnectionLimits) {
        self.limits = limits
    }

    /// The connection is open.
    public mutating func connected(now: NIODeadline) -> Action {
        phase = .awaitingHead(first: true)
        return .schedule(at: now + limits.headerTimeout)
    }

    /// A request head arrived.
    public mutating func headReceived(now: NIODeadline) -> Action {
        switch phase {
        case .awaitingHead:
            phase = .readingBody
            return .schedule(at: now + limits.bodyTimeout)
        case .closing:
            return .none
        case .readingBody, .responding, .answeredEarly:
            // Pipelined heads are answered in turn; the deadline already running still bounds the connection.
            return .none
        }
    }

    /// The request's end arrived.
    public mutating func endReceived(now: NIODeadline) -> Action {
        switch phase {
        case .readingBody:
            phase = .responding
            return .cancel
        case .answeredEarly:
            phase = .awaitingHead(first: false)
            return .schedule(at: now + limits.idleTimeout)
        case .awaitingHead, .responding, .closing:
            return .none
        }
    }

    /// The answer's end was written; `close` when it said `Connection: close`.
    public mutating func responseEnded(now: NIODeadline, close: Bool) -> Action {
        if phase == .closing { return .none }
        if close {
            let unread = phase == .readingBody || phase == .answeredEarly
            phase = .closing
            return unread ? .linger(until: now + limits.lingerTimeout) : .close
        }
        switch phase {
        case .responding:
            phase = .awaitingHead(first: false)
            return .schedule(at: now + limits.idleTimeout)
        case .readingBody:
            // Answered before the body ended: the body deadline keeps running.
            phase = .answeredEarly
            return .none
        case .awaitingHead, .answeredEarly, .closing:
            return .none
        }
    }

    /// The armed deadline passed.
    public mutating func deadlinePassed() -> Action {
        switch phase {
        case .responding:
            return .none
        case .awaitingHead, .readingBody, .answeredEarly, .closing:
            phase = .closing
            return .close
        }
    }
}

/// Runs `ConnectionDeadlines` on a channel: sits after HTTP decoding, sees request and response parts.
public final class ConnectionDeadlineHandler: ChannelDuplexHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPRequestPart
    public typealias InboundOut = HTTPRequestPart
    public typealias OutboundIn = HTTPResponsePart
    public typealias OutboundOut = HTTPResponsePart

    private var machine: ConnectionDeadlines
    private var timer: Scheduled<Void>?
    private var closeAfterResponse = false
    private let onTimeout: @Sendable (ConnectionDeadlines.Phase) -> Void

    public init(limits: ConnectionLimits, onTimeout: @escaping @Sendable (ConnectionDeadlines.Phase) -> Void) {
        machine = ConnectionDeadlines(limits: limits)
        self.onTimeout = onTimeout
    }

    public func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { run(machine.connected(now: .now()), context) }
    }

    public func channelActive(context: ChannelHandlerContext) {
        run(machine.connected(now: .now()), context)
        context.fireChannelActive()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
    }

    public func channelInactive(context: ChannelHandlerContext) {
        timer?.cancel()
        timer = nil
        context.fireChannelInactive()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head:
            // After `Connection: close` no further request is served.
            if machine.phase == .closing { return }
            run(machine.headReceived(now: .now()), context)
        case .body:
            break
        case .end:
            run(machine.endReceived(now: .now()), context)
        }
        context.fireChannelRead(data)
    }

    public func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(let head):
            closeAfterResponse = head.headerFields[.connection]?.lowercased() == "close"
            context.write(data, promise: promise)
        case .body:
            context.write(data, promise: promise)
        case .end:
            context.writeAndFlush(data, promise: promise)
            let close = closeAfterResponse
            closeAfterResponse = false
            run(machine.responseEnded(now: .now(), close: close), context)
        }
    }

    private func run(_ action: ConnectionDeadlines.Action, _ context: ChannelHandlerContext) {
        switch action {
        case .none:
            break
        case .cancel:
            timer?.cancel()
            timer = nil
        case .schedule(let at):
            arm(at, context)
        case .linger(let until):
            // Half-close: the client reads the answer and sees the end; what it still sends is read and dropped
            // (closing with unread data would reset the connection and could lose the answer).
            let halfClosed = context.eventLoop.makePromise(of: Void.self)
            halfClosed.futureResult.assumeIsolated().whenFailure { _ in context.close(promise: nil) }
            context.close(mode: .output, promise: halfClosed)
            arm(until, context)
        case .close:
            timer?.cancel()
            timer = nil
            context.close(promise: nil)
        }
    }

    private func arm(_ at: NIODeadline, _ context: ChannelHandlerContext) {
        timer?.cancel()
        let loop = context.eventLoop.assumeIsolatedUnsafeUnchecked()
        timer = loop.scheduleTask(deadline: at) { [self] in
            timer = nil
            let phase = machine.phase
            let action = machine.deadlinePassed()
            if action == .close, phase != .closing { onTimeout(phase) }
            run(action, context)
        }
    }
}
