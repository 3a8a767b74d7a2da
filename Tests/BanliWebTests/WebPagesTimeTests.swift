@testable import BanliWeb
import Testing

/// The history's UTC times as the office reads them: Beijing time, to the minute.
struct WebPagesTimeTests {
    @Test func historyTimesAreShownInBeijingTime() {
        #expect(WebPages.time(utc: "2025-05-20T06:03:09Z") == "2025-05-20 14:03")
        #expect(WebPages.time(utc: "2025-05-20T18:30:00.123Z") == "2025-05-21 02:30", "past midnight in Beijing: the next day")
        #expect(WebPages.time(utc: "2025-12-31T16:00:00Z") == "2026-01-01 00:00")
    }

    @Test func anythingElseIsShownAsItIs() {
        for text in ["", "T", "2025-05-20", "2025-13-40T06:03Z", "2025-05-20T25:00:00Z", "2025-05-20T06:xxZ", "<script>T</script>"] {
            #expect(WebPages.time(utc: text) == text)
        }
    }
}
