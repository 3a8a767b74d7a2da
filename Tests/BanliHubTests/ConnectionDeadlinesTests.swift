@testable import BanliOps
import NIOCore
import Testing

/// The connection deadline machine, step by step: which deadline runs in each phase, and what ends a connection.
struct ConnectionDeadlinesTests {
    var limits: ConnectionLimits {
        var l = ConnectionLimits()
        l.headerTimeout = 10
        l.idleTimeout = 60
        l.bodyTimeout = 120
        l.lingerTimeout = 2
        return l
    }
    let t0 = NIODeadline.uptimeNanoseconds(1_000_000_000_000)

    @Test func aNewConnectionMustSendItsHeadInTime() {
        var m = ConnectionDeadlines(limits: limits)
        #expect(m.connected(now: t0) == .schedule(at: t0 + .seconds(10)))
        // A stalled or trickling head never produces a part: the deadline passes and the connection closes.
        #expect(m.deadlinePassed() == .close)
        #expect(m.phase == .closing)
    }

    @Test func aBodyMustArriveWithinItsDeadlineAndAnsweringRunsNone() {
        var m = ConnectionDeadlines(limits: limits)
        _ = m.connected(now: t0)
        #expect(m.headReceived(now: t0 + .seconds(1)) == .schedule(at: t0 + .seconds(121)))
        #expect(m.endReceived(now: t0 + .seconds(2)) == .cancel)
        // A long-poll: the hub is answering, nothing may cut it.
        #expect(m.deadlinePassed() == .none)
        #expect(m.responseEnded(now: t0 + .seconds(32), close: false) == .schedule(at: t0 + .seconds(92)))
        #expect(m.phase == .awaitingHead(first: false))
        #expect(m.deadlinePassed() == .close, "an idle kept-alive connection closes")
    }

    @Test func aTricklingBodyIsCut() {
        var m = ConnectionDeadlines(limits: limits)
        _ = m.connected(now: t0)
        _ = m.headReceived(now: t0)
        #expect(m.deadlinePassed() == .close)
    }

    @Test func anEarlyRefusalWithCloseLingersThenCloses() {
        var m = ConnectionDeadlines(limits: limits)
        _ = m.connected(now: t0)
        _ = m.headReceived(now: t0)
        // 401 or 413 before the body was read: answer, stop writing, drain briefly, close.
        #expect(m.responseEnded(now: t0 + .seconds(1), close: true) == .linger(until: t0 + .seconds(3)))
        #expect(m.headReceived(now: t0 + .seconds(2)) == .none, "no request is served after Connection: close")
        #expect(m.deadlinePassed() == .close)
    }

    @Test func closeAfterAFullyReadRequestClosesAtOnce() {
        var m = ConnectionDeadlines(limits: limits)
        _ = m.connected(now: t0)
        _ = m.headReceived(now: t0)
        _ = m.endReceived(now: t0)
        #expect(m.responseEnded(now: t0, close: true) == .close)
    }

    @Test func anEarlyAnswerWithoutCloseKeepsTheBodyDeadlineThenServesTheNextRequest() {
        var m = ConnectionDeadlines(limits: limits)
        _ = m.connected(now: t0)
        _ = m.headReceived(now: t0)
        #expect(m.responseEnded(now: t0 + .seconds(1), close: false) == .none)
        #expect(m.phase == .answeredEarly)
        #expect(m.endReceived(now: t0 + .seconds(5)) == .schedule(at: t0 + .seconds(65)))
        #expect(m.headReceived(now: t0 + .seconds(6)) == .schedule(at: t0 + .seconds(126)))
    }
}
