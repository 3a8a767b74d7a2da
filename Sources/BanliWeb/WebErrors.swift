import BanliCore
import BanliOffice
import Hummingbird

/// Turns a refusal (`WebError`, a `BanliError` from a store, or a `WorkflowRefusal` in its workbench sentence) into a
/// page with one sentence; anything else is logged and answered with a sentence that leaks no detail.
struct WebErrorMiddleware: RouterMiddleware {
    let app: WebApp

    func handle(_ request: Request, context: WebContext, next: (Request, WebContext) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as WebError {
            return page(request, context, e.status, e.message)
        } catch let e as BanliError {
            return page(request, context, e.code == .notFound ? .notFound : .unprocessableContent, e.message)
        } catch let refusal as WorkflowRefusal {
            return page(request, context, .unprocessableContent, refusal.sentence(.web))
        } catch let e as HTTPError where e.status == .notFound {
            return page(request, context, .notFound, "没有这个页面。")
        } catch let e as HTTPError {
            throw e
        } catch {
            app.logger.error("web request failed", metadata: ["path": "\(request.uri.path)", "error": "\(error)"])
            return page(request, context, .internalServerError, "服务器出错了，请稍后再试；如果一再出现，请联系信息科。")
        }
    }

    func page(_ request: Request, _ context: WebContext, _ status: HTTPResponse.Status, _ message: String) -> Response {
        guard context.session != nil else { return WebPages.errorResponse(status, message, request: request) }
        return WebPages.page(app, request, context, title: "办理工作台", current: "", body: "", error: message, status: status)
    }
}
