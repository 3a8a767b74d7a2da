import BanliProtocol
import Testing

/// The bureau's protocol decisions, one event at a time: each test feeds a batch and an answer and checks
/// the exact action and state, as postgres-nio tests its connection state machine.
@Suite struct BureauSyncMachineTests {
    typealias M = BureauSyncMachine

    static func answer(cursor: Int64, more: Bool = false, hubId: String = "h1", pushMark: Int64, resync: Bool = false,
                       yourLatest: UInt64 = 0) -> M.Answer {
        M.Answer(cursor: cursor, more: more, hubId: hubId, pushMark: pushMark, resync: resync, yourLatest: yourLatest)
    }

    @Test func aQuietRoundAppliesAndStops() {
        var m = M(state: SyncState(cursor: 10, pushMark: 4, hubId: "h1", exchange: 7))
        #expect(m.send(M.Batch(through: 4, remaining: 0, count: 0))
            == M.Request(cursor: 10, pushMark: 4, pushThrough: 4, exchange: 7, resync: false))
        let next = SyncState(cursor: 12, pushMark: 4, hubId: "h1", exchange: 8)
        #expect(m.received(Self.answer(cursor: 12, pushMark: 4, yourLatest: 99)) == .apply(M.Apply(state: next, yourLatest: 99)))
        #expect(m.state == next)
    }

    @Test func aPushAdvancesTheMarkEvenWhenTheHubRefusedSomeOfIt() {
        // Refusals travel in the answer's body; the hub still holds the batch up to its end, so the mark moves.
        var m = M(state: SyncState(cursor: 3, pushMark: 4, hubId: "h1", exchange: 2))
        _ = m.send(M.Batch(through: 9, remaining: 0, count: 5))
        let next = SyncState(cursor: 5, pushMark: 9, hubId: "h1", exchange: 3)
        #expect(m.received(Self.answer(cursor: 5, pushMark: 9)) == .apply(M.Apply(state: next, yourLatest: 0)))
    }

    @Test func aBatchWithRemainingStatesGoesAgainFromItsEnd() {
        var m = M(state: SyncState(cursor: 0, pushMark: 0, hubId: "h1", repushAll: true, exchange: 1))
        _ = m.send(M.Batch(through: 500, remaining: 120, count: 500))
        // Still re-pushing everything: the flag stays until the last batch is acknowledged.
        let mid = SyncState(cursor: 30, pushMark: 500, hubId: "h1", repushAll: true, exchange: 2)
        #expect(m.received(Self.answer(cursor: 30, pushMark: 500)) == .applyAndGoAgain(M.Apply(state: mid, yourLatest: 0)))
        #expect(m.send(M.Batch(through: 620, remaining: 0, count: 120))
            == M.Request(cursor: 30, pushMark: 500, pushThrough: 620, exchange: 2, resync: false))
        let done = SyncState(cursor: 30, pushMark: 620, hubId: "h1", repushAll: false, exchange: 3)
        #expect(m.received(Self.answer(cursor: 30, pushMark: 620)) == .apply(M.Apply(state: done, yourLatest: 0)))
    }

    @Test func firstSyncWithMorePrefetchesOnlyPullOnlyRounds() {
        var m = M(state: SyncState())
        #expect(m.send(M.Batch(through: 0, remaining: 0, count: 0))
            == M.Request(cursor: 0, pushMark: 0, pushThrough: 0, exchange: 0, resync: false))
        let first = SyncState(cursor: 500, pushMark: 0, hubId: "h1", exchange: 1)
        // Pushed nothing, nothing else changed: the next pull goes out while this answer is applied.
        #expect(m.received(Self.answer(cursor: 500, more: true, pushMark: 0))
            == .prefetchAndApply(M.Request(cursor: 500, pushMark: 0, pushThrough: 0, exchange: 1, resync: false),
                                 M.Apply(state: first, yourLatest: 0)))
        // The prefetched answer is fed without another send.
        let second = SyncState(cursor: 800, pushMark: 0, hubId: "h1", exchange: 2)
        #expect(m.received(Self.answer(cursor: 800, pushMark: 0)) == .apply(M.Apply(state: second, yourLatest: 0)))
        #expect(m.state == second)
    }

    @Test func moreAfterAPushGoesAgainWithoutPrefetching() {
        var m = M(state: SyncState(hubId: "h1"))
        _ = m.send(M.Batch(through: 3, remaining: 0, count: 3))
        let next = SyncState(cursor: 500, pushMark: 3, hubId: "h1", exchange: 1)
        #expect(m.received(Self.answer(cursor: 500, more: true, pushMark: 3)) == .applyAndGoAgain(M.Apply(state: next, yourLatest: 0)))
    }

    @Test func moreWhileARepushEndsGoesAgainWithoutPrefetching() {
        // The round ends a re-push (the flag changes with this apply): the next request is not prefetched.
        var m = M(state: SyncState(cursor: 9, pushMark: 3, hubId: "h1", repushAll: true))
        _ = m.send(M.Batch(through: 3, remaining: 0, count: 0))
        let next = SyncState(cursor: 500, pushMark: 3, hubId: "h1", repushAll: false, exchange: 1)
        #expect(m.received(Self.answer(cursor: 500, more: true, pushMark: 3)) == .applyAndGoAgain(M.Apply(state: next, yourLatest: 0)))
    }

    @Test func hubRestoredFromABackupHoldsOurPushesOnlyUpToItsMark() {
        var m = M(state: SyncState(cursor: 40, pushMark: 30, hubId: "h1", exchange: 5))
        _ = m.send(M.Batch(through: 32, remaining: 0, count: 2))
        let next = SyncState(cursor: 41, pushMark: 12, hubId: "h1", repushAll: true, exchange: 6)
        #expect(m.received(Self.answer(cursor: 41, pushMark: 12))
            == .applyAndPushAfter(mark: 12, lostPushes: true, olderData: false, M.Apply(state: next, yourLatest: 0)))
        // Pushed again from the hub's mark, received states included.
        #expect(m.send(M.Batch(through: 41, remaining: 0, count: 20))
            == M.Request(cursor: 41, pushMark: 12, pushThrough: 41, exchange: 6, resync: false))
        #expect(m.received(Self.answer(cursor: 41, pushMark: 41))
            == .apply(M.Apply(state: SyncState(cursor: 41, pushMark: 41, hubId: "h1", exchange: 7), yourLatest: 0)))
    }

    @Test func hubCursorBehindOursPushesEverythingAndPullsFromZero() {
        var m = M(state: SyncState(cursor: 900, pushMark: 50, hubId: "h1", exchange: 20))
        _ = m.send(M.Batch(through: 50, remaining: 0, count: 0))
        // The hub served us from 0 (its cursor is behind ours): it may lack anything we hold.
        let next = SyncState(cursor: 300, pushMark: 0, hubId: "h1", repushAll: true, exchange: 21)
        #expect(m.received(Self.answer(cursor: 300, pushMark: 50, resync: true))
            == .applyAndPushAfter(mark: 0, lostPushes: false, olderData: true, M.Apply(state: next, yourLatest: 0)))
        #expect(m.send(M.Batch(through: 50, remaining: 0, count: 50))
            == M.Request(cursor: 300, pushMark: 0, pushThrough: 50, exchange: 21, resync: false))
    }

    @Test func hubRestoredOnBothCountsLogsBothAndPushesEverything() {
        var m = M(state: SyncState(cursor: 900, pushMark: 50, hubId: "h1", exchange: 20))
        _ = m.send(M.Batch(through: 50, remaining: 0, count: 0))
        let next = SyncState(cursor: 300, pushMark: 0, hubId: "h1", repushAll: true, exchange: 21)
        #expect(m.received(Self.answer(cursor: 300, pushMark: 10, resync: true))
            == .applyAndPushAfter(mark: 0, lostPushes: true, olderData: true, M.Apply(state: next, yourLatest: 0)))
    }

    @Test func aNewHubStoreStartsOver() {
        var m = M(state: SyncState(cursor: 900, pushMark: 50, hubId: "h1", resync: false, exchange: 20))
        _ = m.send(M.Batch(through: 55, remaining: 0, count: 5))
        let next = SyncState(cursor: 7, pushMark: 0, hubId: "h2", repushAll: true, resync: false, exchange: 21)
        #expect(m.received(Self.answer(cursor: 7, hubId: "h2", pushMark: 55, resync: true, yourLatest: 3))
            == .startOver(previousHub: "h1", newHub: "h2", M.Apply(state: next, yourLatest: 3)))
        #expect(m.send(M.Batch(through: 55, remaining: 0, count: 55))
            == M.Request(cursor: 7, pushMark: 0, pushThrough: 55, exchange: 21, resync: false))
    }

    @Test func theFirstHubIdIsLearntNotAChange() {
        var m = M(state: SyncState())
        _ = m.send(M.Batch(through: 2, remaining: 0, count: 2))
        #expect(m.received(Self.answer(cursor: 4, hubId: "h9", pushMark: 2))
            == .apply(M.Apply(state: SyncState(cursor: 4, pushMark: 2, hubId: "h9", exchange: 1), yourLatest: 0)))
    }

    @Test func aBureauRestoredFromAnOlderBackupAsksForEverythingAndObservesYourLatest() {
        // The restored copy asks for a full pull with its older exchange number, so the hub sends back the
        // writes it pushed after that backup; its clock must pass the hub's highest counter of ours.
        var m = M(state: SyncState(cursor: 200, pushMark: 60, hubId: "h1", resync: true, exchange: 8))
        #expect(m.send(M.Batch(through: 60, remaining: 0, count: 0))
            == M.Request(cursor: 200, pushMark: 60, pushThrough: 60, exchange: 8, resync: true))
        let next = SyncState(cursor: 450, pushMark: 60, hubId: "h1", exchange: 9)
        // The answer's resync is the one we asked for: not a hub restore.
        #expect(m.received(Self.answer(cursor: 450, pushMark: 60, resync: true, yourLatest: 123_456))
            == .apply(M.Apply(state: next, yourLatest: 123_456)))
    }

    @Test func aRestoredBureauWithMoreToPullPrefetchesWithoutAskingForResyncAgain() {
        var m = M(state: SyncState(cursor: 200, pushMark: 60, hubId: "h1", resync: true, exchange: 8))
        _ = m.send(M.Batch(through: 60, remaining: 0, count: 0))
        let next = SyncState(cursor: 500, pushMark: 60, hubId: "h1", exchange: 9)
        #expect(m.received(Self.answer(cursor: 500, more: true, pushMark: 60, resync: true, yourLatest: 7))
            == .prefetchAndApply(M.Request(cursor: 500, pushMark: 60, pushThrough: 60, exchange: 9, resync: false),
                                 M.Apply(state: next, yourLatest: 7)))
    }
}
