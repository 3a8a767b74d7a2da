import BanliCore
import Testing
import TestSupport

/// A bureau's failed sync: kept with its kind, read back exactly, and told to the clerk in Chinese.
struct SyncFailureTests {
    static let codes: [BanliError.Code] = [
        .invalidId, .invalidEntity, .unknownField, .invalidValue, .permissionDenied, .notFound, .storeMissing, .storeExists, .corruptInput,
        .clockSkew, .usage, .config, .io, .storeUnavailable, .unreachable, .unauthorized, .protocolError, .workflow,
    ]

    @Test func everyFailureReadsBackWithItsKindAndSentence() {
        var strings = HostileStrings(seed: 20261201)
        for i in 0..<400 {
            let failure = SyncFailure(BanliError(Self.codes[i % Self.codes.count], strings.next()))
            #expect(SyncFailure(stored: failure.stored) == failure, "\(failure.stored)")
            #expect(failure.chinese.contains("请") && failure.chinese.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) })
        }
    }

    @Test func textFromOlderReleasesIsKeptAsItIs() {
        var strings = HostileStrings(seed: 3)
        for i in 0..<200 {
            let text = i % 2 == 0 ? strings.next() : "{\"code\":\"\(strings.nextLine(maxPieces: 2))z\",\"detail\":\"x\"}"
            let failure = SyncFailure(stored: text)
            #expect(failure.code == nil && failure.detail == text && failure.stored == text)
            #expect(failure.chinese.contains("请联系本单位信息化人员"))
        }
    }

    @Test func theCommonFailuresSayWhatToDo() {
        #expect(SyncFailure(BanliError(.unreachable, "x")).chinese.hasPrefix("连不上交办机关的服务器"))
        #expect(SyncFailure(BanliError(.unauthorized, "x")).chinese.contains("令牌"))
        #expect(SyncFailure(BanliError(.clockSkew, "x")).chinese.contains("NTP"))
    }
}
