import BanliCore
import BanliOffice
import TestSupport
import Testing

/// A bureau answering two offices: each office's store holds its own items, numbered alike, and the bureau may have
/// another site name at each hub. Its yearly figures count each store's own rows, once each.
@Suite struct SeveralOfficesStatisticsTests {
    static let today = ISODate("2020-12-31")!

    /// An item of one office's store: the bureau (`site`) leads it; another unit of that office cooperates.
    func item(_ id: String, site: String, other: String, reply: String?, contact: String?) throws -> ItemView {
        var writes: [(EntityKey, String, JSONValue)] = [
            (.item(id: id), "kind", .string("proposal")), (.item(id: id), "year", .int(2020)),
            (.item(id: id), "assignedAt", .string("2020-03-10")),
            (.assignment(item: id, site: site), "role", .string("lead")),
            (.assignment(item: id, site: other), "role", .string("cooperating")),
        ]
        if let reply {
            writes.append((.assignment(item: id, site: site), "replyAt", .string(reply)))
            writes.append((.assignment(item: id, site: site), "replyCategory", .string("A")))
        }
        if let contact {
            writes.append((.contact(item: id, site: site, n: 1), "at", .string(contact)))
            writes.append((.contact(item: id, site: site, n: 1), "method", .string("visit")))
        }
        return try OfficeSample.view(id, writes)
    }

    @Test func keepingOnlyASiteDropsOtherUnitsRowsAndKeepsTheItem() throws {
        let view = try item("zx-2020-30", site: "jyj", other: "fgw", reply: "2020-05-20", contact: "2020-04-01")
        let own = view.keepingOnly(site: "jyj")
        #expect(own.assignedSites == ["jyj"])
        #expect(own.contacts.keys.sorted() == ["jyj"])
        #expect(own.values == view.values)
        #expect(view.keepingOnly(site: "nobody").assignments.isEmpty)
    }

    @Test func twoOfficesItemsWithTheSameIdAreCountedApart() throws {
        // The city's 提案 30 (replied after a visit) and the county's 提案 30 (not replied), the bureau jyj and xjy.
        let city = try item("zx-2020-30", site: "jyj", other: "fgw", reply: "2020-05-20", contact: "2020-04-01")
        let county = try item("zx-2020-30", site: "xjy", other: "xfgw", reply: nil, contact: nil)
        let views = [city.keepingOnly(site: "jyj"), county.keepingOnly(site: "xjy")]
        let s = Statistics.compute(items: views, unit: nil, year: 2020, today: Self.today, deadlines: Deadlines())
        #expect(s.items == 2)
        #expect(s.byRole[.lead] == 2 && s.byRole[.cooperating] == 0)
        #expect(s.reply == Rate(1, 2))
        #expect(s.faceToFace == Rate(1, 1))
        #expect(s.categories[.a] == 1)
        // Without keeping only the bureau's rows, the other units' 会办 rows would count as the bureau's.
        let unfiltered = Statistics.compute(items: [city, county], unit: nil, year: 2020, today: Self.today, deadlines: Deadlines())
        #expect(unfiltered.byRole[.cooperating] == 2)
    }
}
