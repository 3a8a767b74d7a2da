@testable import BanliWeb
import Testing

/// Form bodies and the login's redirect target: the two places a browser's text enters the workbench raw.
struct WebFormTests {
    @Test func urlEncodedFieldsDecodeWithChineseAndPlusSigns() {
        let form = WebForm(urlEncoded: "title=%E5%85%B3%E4%BA%8E+%E5%BB%BA%E8%AE%AE&empty=&text=a%0D%0Ab&unit=jxj&unit=mzj&unit=")
        #expect(form["title"] == "关于 建议")
        #expect(form["empty"] == nil)
        #expect(form["missing"] == nil)
        #expect(form.text("text") == "a\nb")
        #expect(form.all("unit") == ["jxj", "mzj"])
    }

    @Test func malformedPercentEncodingIsEmptyNotACrash() {
        let form = WebForm(urlEncoded: "a=%E5%&b=%ZZ&=x&&c")
        #expect(form["a"] == nil)
        #expect(form["b"] == nil)
        #expect(form["c"] == nil)
    }

    @Test func theLoginRedirectsOnlyToThisServer() {
        #expect(LoginRoutes.safeNext("/items?status=pending") == "/items?status=pending")
        for hostile in ["//evil.example/x", "https://evil.example", "/\\evil.example", "javascript:alert(1)", "/a\nSet-Cookie: x=1", nil, ""] {
            #expect(LoginRoutes.safeNext(hostile) == "/", "\(String(describing: hostile))")
        }
    }

    @Test func theOriginMustBeThisHost() {
        #expect(SessionMiddleware.sameOrigin("http://127.0.0.1:8490", host: "127.0.0.1:8490"))
        #expect(!SessionMiddleware.sameOrigin("http://evil.example", host: "127.0.0.1:8490"))
        #expect(!SessionMiddleware.sameOrigin("http://127.0.0.1:8490.evil.example", host: "127.0.0.1:8490"))
        #expect(!SessionMiddleware.sameOrigin("garbage", host: "127.0.0.1:8490"))
    }
}
