import BanliProtocol
import Testing

/// The hub's protocol decisions: from the unit's marks, the request and the hub's head, the answer's
/// push mark and resync and the pull.
@Suite struct HubExchangePlanTests {
    typealias P = HubExchangePlan

    static func request(cursor: Int64, pushMark: Int64, pushThrough: Int64, exchange: Int64 = 5, resync: Bool = false) -> SyncHeader {
        SyncHeader(cursor: cursor, pushMark: pushMark, pushThrough: pushThrough, exchange: exchange, resync: resync)
    }

    @Test func anOrdinaryExchangeAcknowledgesThePushAndPullsAfterTheCursor() {
        let plan = P(marks: P.UnitMarks(pushMark: 10, sentCursor: 100, maxCounter: 0),
                     request: Self.request(cursor: 100, pushMark: 10, pushThrough: 14), limit: 500, head: 130)
        #expect(plan.pushMark == 14 && !plan.resync)
        #expect(plan.pull == P.Pull(after: 100, suppressEchoes: true, confirmedBefore: 5, limit: 500, changed: 30))
    }

    @Test func aHubRestoredFromABackupAnswersItsOwnMark() {
        // The unit says the hub holds its pushes up to 40; the restored hub's record stops at 25.
        let plan = P(marks: P.UnitMarks(pushMark: 25, sentCursor: 100, maxCounter: 0),
                     request: Self.request(cursor: 90, pushMark: 40, pushThrough: 44), limit: 500, head: 100)
        #expect(plan.pushMark == 25 && !plan.resync)
        #expect(plan.pull.after == 90)
    }

    @Test func aCursorAheadOfAnythingHandedOutIsServedFromZeroWithEchoes() {
        let plan = P(marks: P.UnitMarks(pushMark: 40, sentCursor: 300, maxCounter: 0),
                     request: Self.request(cursor: 900, pushMark: 40, pushThrough: 40), limit: 500, head: 320)
        #expect(plan.pushMark == 40 && plan.resync)
        #expect(plan.pull == P.Pull(after: 0, suppressEchoes: false, confirmedBefore: 5, limit: 500, changed: 320))
    }

    @Test func aRestoredBureauAsksForEverythingAndGetsItsPushedWritesBack() {
        // Its older exchange number: echoes of exchanges from 3 on are no longer confirmed, so they come back.
        let plan = P(marks: P.UnitMarks(pushMark: 60, sentCursor: 500, maxCounter: 0),
                     request: Self.request(cursor: 200, pushMark: 60, pushThrough: 60, exchange: 3, resync: true), limit: 500, head: 500)
        #expect(plan.resync && plan.pushMark == 60)
        #expect(plan.pull == P.Pull(after: 0, suppressEchoes: false, confirmedBefore: 3, limit: 500, changed: 500))
        let quiet = P(marks: P.UnitMarks(pushMark: 60, sentCursor: 500, maxCounter: 0),
                      request: Self.request(cursor: 500, pushMark: 60, pushThrough: 60, exchange: 3), limit: 500, head: 500)
        #expect(quiet.pull.suppressEchoes && quiet.pull.confirmedBefore == 3)
    }

    @Test func theUsualExchangeWalksBySeqWithoutCountingItems() {
        let plan = P(marks: P.UnitMarks(pushMark: 0, sentCursor: 100, maxCounter: 0),
                     request: Self.request(cursor: 100, pushMark: 0, pushThrough: 0), limit: 500, head: 600)
        var asked = false
        #expect(plan.order(forced: nil) { asked = true; return 1 } == .bySeq)
        #expect(!asked)
    }

    @Test func aSmallShareOfABigHubIsFoundByItem() {
        let plan = P(marks: P.UnitMarks(pushMark: 0, sentCursor: 0, maxCounter: 0),
                     request: Self.request(cursor: 0, pushMark: 0, pushThrough: 0), limit: 500, head: 1_000_000)
        // 30 items ≈ 480 rows: 480² < 500 × 1,000,000.
        #expect(plan.order(forced: nil) { 30 } == .byItem)
        // 2,000 items ≈ 32,000 rows: 32,000² > 500 × 1,000,000.
        #expect(plan.order(forced: nil) { 2_000 } == .bySeq)
        #expect(plan.order(forced: .bySeq) { 30 } == .bySeq)
        #expect(plan.order(forced: .byItem) { 2_000 } == .byItem)
        #expect(P.PullOrder(rawValue: "items") == .byItem && P.PullOrder(rawValue: "seq") == .bySeq && P.PullOrder(rawValue: "x") == nil)
    }
}
