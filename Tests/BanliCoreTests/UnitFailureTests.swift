import BanliCore
import Testing
import TestSupport

/// The status page's failure reasons: stored once, read back exactly, said in Chinese on one safe line.
struct UnitFailureTests {
    /// Every typed case, with seeded hostile parts (what a unit with a valid token can put in its request).
    static func failures(seed: UInt64, count: Int) -> [UnitFailure] {
        var strings = HostileStrings(seed: seed)
        var rng = SplitMix64(seed: seed ^ 0x5eed)
        return (0..<count).map { i in
            let seconds = Int64.random(in: -10_000_000...10_000_000, using: &rng)
            return switch i % 5 {
            case 0: .malformedRequest(detail: strings.next(maxPieces: 4))
            case 1: .wrongSite(tokenSite: strings.next(maxPieces: 4), claimed: strings.next(maxPieces: 4))
            case 2: .writesRefusedForClock(aheadSeconds: Bool.random(using: &rng) ? seconds : nil, detail: strings.next(maxPieces: 4))
            case 3: .clockAhead(seconds: seconds)
            default: .clockBehind(seconds: seconds)
            }
        }
    }

    @Test func everyFailureReadsBackAsItWasStored() {
        for failure in Self.failures(seed: 20261201, count: 500) {
            #expect(UnitFailure(stored: failure.stored) == failure, "\(failure.stored)")
        }
    }

    @Test func textFromOlderReleasesIsShownAsItIs() {
        var strings = HostileStrings(seed: 7)
        for i in 0..<300 {
            // Some look like the stored form but are not: cut short, or naming no known failure.
            let text = switch i % 3 {
            case 0: strings.next()
            case 1: "{\"failure\":" + strings.next()
            default: "{\"failure\":\"\(strings.nextLine(maxPieces: 2))x\"}"
            }
            let failure = UnitFailure(stored: text)
            #expect(failure == .recorded(text))
            #expect(failure.chinese == text && failure.english == text && failure.stored == text)
        }
    }

    @Test func theChineseReasonIsOneSafeLineSayingWhatToDo() {
        for failure in Self.failures(seed: 99, count: 500) {
            let zh = failure.chinese
            #expect(!zh.unicodeScalars.contains(where: TerminalText.isUnsafe), "one line, nothing a terminal acts on: \(zh)")
            #expect(zh.contains("请"), "says what to do: \(zh)")
            #expect(zh.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) } && zh != failure.english)
            #expect(zh.count < 140, "short enough for a table cell: \(zh)")
        }
    }

    @Test func clockOffsetsBeyondToleranceAreFailures() {
        let ahead = Int64(PushPolicy.unitSkewMilliseconds)
        let behind = Int64(HybridLogicalClock.maximumSkewMilliseconds - PushPolicy.unitSkewMilliseconds)
        #expect(UnitFailure.clock(offsetMilliseconds: 0) == nil)
        #expect(UnitFailure.clock(offsetMilliseconds: ahead) == nil && UnitFailure.clock(offsetMilliseconds: -behind) == nil)
        #expect(UnitFailure.clock(offsetMilliseconds: 240_000) == .clockAhead(seconds: 240))
        #expect(UnitFailure.clock(offsetMilliseconds: -(behind + 60_000)) == .clockBehind(seconds: (behind + 60_000) / 1000))
        #expect(UnitFailure.clockAhead(seconds: 240).chinese.contains("快约 4 分钟"))
        #expect(UnitFailure.clockBehind(seconds: 45).chinese.contains("慢 45 秒"))
        #expect(UnitFailure.clockAhead(seconds: 239).chinese.contains("快约 4 分钟"), "rounded to the nearest, not down")
    }
}
