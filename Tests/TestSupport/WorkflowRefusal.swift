import BanliCore

/// The workflow refusal `body` throws, whose message the clerk reads; nil when it goes through.
public func workflowRefusal(_ body: () throws -> Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch let e as BanliError {
        return e.code == .workflow ? e.message : "unexpected \(e.code): \(e.message)"
    } catch {
        return "unexpected \(error)"
    }
}
