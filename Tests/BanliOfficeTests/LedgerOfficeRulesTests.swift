import BanliCore
import BanliOffice
import Testing
import TestSupport

/// An office's assignment list obeys what `item new` and `item assign` refuse: an id's kind, one 主办 or 独办 unit per
/// item, no deadline before 交办. Every such cell is named in one error and nothing is written.
@Suite struct LedgerOfficeRulesTests {
    static let units = ["市经信局": "jxj", "jxj": "jxj", "市发改委": "fgw", "fgw": "fgw"]

    func plan(_ csv: String, items: [String: ItemView] = [:]) throws -> LedgerPlan {
        let imported = try Ledger.importLedger(csv: csv, units: Self.units)
        return try Ledger.plan(imported, items: items, site: "hub", hubSite: "hub", deadlines: Deadlines())
    }

    @Test func theOfficesRulesHoldForAnAssignmentList() throws {
        let good = """
            编号,类别,年度,标题,主办单位,会办单位,交办日期,办理时限
            rd-2025-1,建议,2025,甲,市经信局,市发改委,2025-03-14,2025-06-14

            """
        #expect(try plan(good).writes.count > 0)
        let bad = """
            编号,类别,年度,标题,主办单位,会办单位,交办日期,办理时限
            rd-2025-1,提案,2025,甲,市经信局,,2025-03-14,
            rd-2025-2,建议,2025,乙,市经信局、市发改委,,2025-03-14,
            rd-2025-3,建议,2025,丙,市经信局,,2025-03-14,2025-03-01

            """
        var message = ""
        do { _ = try plan(bad) } catch let e as BanliError { message = e.message }
        #expect(message.hasPrefix("3 cells were refused"), "\(message)")
        #expect(message.contains("line 2, column B") && message.contains("rd-2025-1"), "\(message)")
        #expect(message.contains("rd-2025-2 would have 2 主办 or 独办 units"), "\(message)")
        #expect(message.contains("line 4, column H") && message.contains("before 交办"), "\(message)")
    }

    @Test func aSecondLeadAgainstTheStoreIsRefusedToo() throws {
        let first = """
            编号,类别,年度,标题,主办单位,交办日期
            rd-2025-5,建议,2025,戊,市经信局,2025-03-14

            """
        let imported = try Ledger.importLedger(csv: first, units: Self.units)
        let view = try #require(try OfficeSample.views(imported.writes.map { ($0.entity, $0.field, $0.value) }).first)
        let second = """
            编号,类别,年度,标题,主办单位,交办日期
            rd-2025-5,建议,2025,戊,市发改委,2025-03-14

            """
        #expect(throws: BanliError.self) { _ = try plan(second, items: ["rd-2025-5": view]) }
    }
}
