import BanliCore
import Testing
import TestSupport

/// Entities sort as their keys' text does (`banli dump` is sorted by (entity, field), DESIGN §5), however the
/// comparison is made: ids that are prefixes of one another, '-' and '.' (which sort before '/'), contact numbers.
@Suite struct EntityKeyOrderTests {
    @Test func entitiesSortAsTheirKeysText() {
        var rng = SplitMix64(seed: 0xE17)
        let alphabet = Array("ab09.-_")
        func name() -> String { String((0..<Int.random(in: 0...4, using: &rng)).map { _ in alphabet.randomElement(using: &rng)! }) }
        func key() -> EntityKey {
            let item = "rd-" + name(), site = "u" + name()
            switch Int.random(in: 0..<5, using: &rng) {
            case 0: return .unit(site: site)
            case 1: return .item(id: item)
            case 2: return .assignment(item: item, site: site)
            case 3: return .contact(item: item, site: site, n: [1, 2, 9, 10, 11, 100].randomElement(using: &rng)!)
            default: return .feedback(item: item, site: site)
            }
        }
        let keys = (0..<3_000).map { _ in key() }
        for (a, b) in zip(keys, keys.shuffled(using: &rng)) {
            #expect((a < b) == (a.description < b.description), "\(a) vs \(b)")
            #expect((a < b) == Array(a.description.utf8).lexicographicallyPrecedes(Array(b.description.utf8)), "\(a) vs \(b)")
        }
        #expect(keys.sorted().map(\.description) == keys.map(\.description).sorted())
        #expect(EntityKey.assignment(item: "rd-1-2", site: "a") < .assignment(item: "rd-1", site: "a"), "'-' sorts before '/'")
        #expect(EntityKey.contact(item: "a", site: "b", n: 10) < .contact(item: "a", site: "b", n: 9), "numbers sort as text")
        #expect(!(EntityKey.item(id: "x") < .item(id: "x")))
    }
}
