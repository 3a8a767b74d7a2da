import BanliCore
import BanliOffice

/// The workflow refusal `body` throws, in the sentence the terminal prints (`surface` for the workbench's); nil when
/// it goes through. Any other error comes back marked unexpected, so a test comparing sentences fails on it.
public func workflowRefusal(on surface: WorkflowRefusal.Surface = .cli, _ body: () throws -> Any) -> String? {
    do {
        _ = try body()
        return nil
    } catch let refusal as WorkflowRefusal {
        return refusal.sentence(surface)
    } catch let e as BanliError {
        return "unexpected \(e.code): \(e.message)"
    } catch {
        return "unexpected \(error)"
    }
}
