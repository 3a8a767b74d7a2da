@testable import BanliWeb
import Foundation
import Testing
import TestSupport

/// The 台账 upload's multipart reader on bodies as Chromium and Firefox send them, and on hostile bodies: each gives
/// the parts exactly or one clear sentence, never a crash or a read past the body.
struct MultipartTests {
    static let chromeBoundary = "----WebKitFormBoundary7MA4YWxkTrZu0gW"
    static let csv = "编号,类别,年度,标题,主办单位\r\nrd-2025-39,建议,2025,\"关于\r\n老旧小区\",经信局\r\n"

    /// A body as a browser writes it: CRLF everywhere, each part's headers, and the closing delimiter with its CRLF.
    static func body(_ boundary: String, _ parts: [(headers: [String], body: [UInt8])]) -> [UInt8] {
        var out: [UInt8] = []
        for p in parts {
            out += Array("--\(boundary)\r\n".utf8)
            for h in p.headers { out += Array("\(h)\r\n".utf8) }
            out += Array("\r\n".utf8) + p.body + Array("\r\n".utf8)
        }
        return out + Array("--\(boundary)--\r\n".utf8)
    }

    static func chromeUpload(filename: String = "台账 2025（修改）.csv", file: [UInt8] = Array(csv.utf8)) -> [UInt8] {
        body(chromeBoundary, [
            ([#"Content-Disposition: form-data; name="_csrf""#], Array("c0ffee".utf8)),
            ([#"Content-Disposition: form-data; name="file"; filename="\#(filename)""#, "Content-Type: text/csv"], file),
            ([#"Content-Disposition: form-data; name="encoding""#], Array("gb18030".utf8)),
        ])
    }

    @Test func aChromiumUploadWithAChineseFileNameReadsExactly() throws {
        let boundary = try Multipart.boundary(contentType: "multipart/form-data; boundary=\(Self.chromeBoundary)")
        let parts = try Multipart.parse(Self.chromeUpload(), boundary: boundary)
        #expect(parts.map(\.name) == ["_csrf", "file", "encoding"])
        #expect(parts[1].filename == "台账 2025（修改）.csv")
        #expect(parts[1].contentType == "text/csv")
        #expect(parts[1].body == Array(Self.csv.utf8), "the file's own CRLFs and quoted line break are kept")
        #expect(parts[0].filename == nil && parts[0].body == Array("c0ffee".utf8))

        let form = try WebForm(multipart: Self.chromeUpload(), boundary: boundary)
        #expect(form["_csrf"] == "c0ffee" && form["encoding"] == "gb18030")
        #expect(form.file("file")?.filename == "台账 2025（修改）.csv")
        #expect(form.file("file")?.bytes == Array(Self.csv.utf8))
    }

    @Test func aFirefoxBodyWithAQuotedBoundaryAQuoteInTheNameAndBinaryBytes() throws {
        let boundary = try Multipart.boundary(contentType: #"Multipart/Form-Data; charset=utf-8; boundary="geckoformboundary9f3c:x""#)
        #expect(boundary == Array("geckoformboundary9f3c:x".utf8))
        // GB18030 bytes, a NUL, and a line that starts like a delimiter of another boundary (a nested multipart).
        let file: [UInt8] = [0xCC, 0xA8, 0xD5, 0xCB, 0x00, 0x0D, 0x0A] + Array("--geckoformboundary9f3c\r\n--other--\r\n".utf8)
        let body = Self.body("geckoformboundary9f3c:x", [
            (["Content-Disposition: form-data; name=\"file\"; filename=\"a%22b.csv\"", "Content-Type: application/octet-stream"], file),
            (["content-disposition: form-data; name=_csrf"], Array("t".utf8)),
        ])
        let parts = try Multipart.parse(body, boundary: boundary)
        #expect(parts.count == 2)
        #expect(parts[0].filename == "a%22b.csv", "browsers send a quote as %22; it is not decoded into the name")
        #expect(parts[0].body == file)
        #expect(parts[1].name == "_csrf" && parts[1].body == Array("t".utf8))
    }

    @Test func noFileChosenIsNoFile() throws {
        let body = Self.body("b", [([#"Content-Disposition: form-data; name="file"; filename="""#, "Content-Type: application/octet-stream"], [])])
        let form = try WebForm(multipart: body, boundary: Array("b".utf8))
        #expect(form.file("file") == nil)
    }

    @Test func aPreambleAndAnEpilogueAreAllowed() throws {
        let body = Array("This is a preamble.\r\n".utf8) + Self.chromeUpload() + Array("epilogue".utf8)
        #expect(try Multipart.parse(body, boundary: Array(Self.chromeBoundary.utf8)).count == 3)
    }

    func failure(_ body: [UInt8], _ boundary: String = MultipartTests.chromeBoundary) -> String? {
        do {
            _ = try Multipart.parse(body, boundary: Array(boundary.utf8))
            return nil
        } catch let error as Multipart.Failure {
            return error.message
        } catch {
            return "\(error)"
        }
    }

    @Test func brokenBodiesAreRefusedWithOneSentence() {
        let good = Self.chromeUpload()
        let noClose = Array(good.dropLast(4 + Self.chromeBoundary.count + 2))
        #expect(failure(noClose)?.contains("不完整") == true, "no closing delimiter")
        #expect(failure(Array("no boundary at all".utf8))?.contains("不完整") == true)
        let lfOnly = Array(String(decoding: good, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n").utf8)
        #expect(failure(lfOnly) != nil, "line ends without CR are not a browser's body")
        let hugeHeader = Self.body(Self.chromeBoundary, [(["Content-Disposition: form-data; name=\"a\"", "X-Pad: " + String(repeating: "x", count: 9000)], [])])
        #expect(failure(hugeHeader)?.contains("太长") == true)
        let noName = Self.body(Self.chromeBoundary, [(["Content-Disposition: form-data"], [])])
        #expect(failure(noName)?.contains("字段名") == true)
        let noDisposition = Self.body(Self.chromeBoundary, [(["Content-Type: text/plain"], [])])
        #expect(failure(noDisposition)?.contains("Content-Disposition") == true)
        let unclosedQuote = Self.body(Self.chromeBoundary, [([#"Content-Disposition: form-data; name="a"#], [])])
        #expect(failure(unclosedQuote)?.contains("不合规范") == true)
        let many = Self.body("b", (0...Multipart.maxParts).map { _ in ([#"Content-Disposition: form-data; name="a""#], []) })
        #expect(failure(many, "b")?.contains("太多") == true)
        let badUTF8Header = Array("--b\r\nContent-Disposition: form-data; name=\"".utf8) + [0xFF] + Array("\"\r\n\r\nx\r\n--b--".utf8)
        #expect(failure(badUTF8Header, "b")?.contains("UTF-8") == true)
    }

    @Test func boundariesOutsideTheRFCAreRefused() {
        for type in ["text/plain", "multipart/form-data", "multipart/form-data; boundary=", "multipart/form-data; boundary=\"\"",
                     "multipart/form-data; boundary=" + String(repeating: "a", count: 71), "multipart/form-data; boundary=a\u{0}b",
                     "multipart/form-data; boundary=边界"] {
            #expect(throws: Multipart.Failure.self, "\(type)") { try Multipart.boundary(contentType: type) }
        }
    }

    /// Seeded hostile bodies: truncations, dropped or doubled CRLFs, flipped bytes, nested and prefix boundaries, huge
    /// headers. Each gives the original parts (a cut after the closing delimiter changes nothing) or one sentence.
    @Test(arguments: [1, 2, 3, 4] as [UInt64]) func hostileBodiesGiveAnErrorOrTheParts(seed: UInt64) throws {
        var rng = SplitMix64(seed: seed)
        let boundary = Array(Self.chromeBoundary.utf8)
        let good = Self.chromeUpload()
        let expected = try Multipart.parse(good, boundary: boundary)
        let closeEnd = good.count - 2
        for _ in 0..<400 {
            var body = good
            var intact = false
            switch rng.next() % 7 {
            case 0:
                let cut = Int(rng.next() % UInt64(good.count + 1))
                body = Array(good.prefix(cut))
                intact = cut >= closeEnd
            case 1:
                let at = Int(rng.next() % UInt64(good.count))
                body[at] ^= UInt8(truncatingIfNeeded: rng.next() | 1)
            case 2:
                if let i = Multipart.find([0x0D, 0x0A], in: body, from: Int(rng.next() % UInt64(body.count))) { body.remove(at: i) }
            case 3:
                let at = Int(rng.next() % UInt64(good.count))
                body.insert(contentsOf: Array("\r\n--\(Self.chromeBoundary)".utf8), at: at)
            case 4:
                let at = Int(rng.next() % UInt64(good.count))
                body.insert(contentsOf: [UInt8](repeating: UInt8(ascii: "h"), count: Int(rng.next() % 20_000)), at: at)
            case 5:
                // A boundary that is a prefix of the real one: its delimiter runs on into more boundary characters.
                let short = Array(Self.chromeBoundary.utf8.prefix(Int(rng.next() % 30) + 1))
                if let parts = try? Multipart.parse(body, boundary: short), parts == expected { Issue.record("a prefix boundary read the parts: \(short)") }
                continue
            default:
                let n = Int(rng.next() % 64)
                body = (0..<n).map { _ in UInt8(truncatingIfNeeded: rng.next()) } + body
                intact = n == 0
            }
            do {
                let parts = try Multipart.parse(body, boundary: boundary)
                if intact { #expect(parts == expected) }
                #expect(parts.allSatisfy { $0.body.count <= body.count })
            } catch let error as Multipart.Failure {
                #expect(!intact, "an intact body was refused: \(error.message)")
                #expect(!error.message.isEmpty && !error.message.contains("\n"))
            }
        }
    }
}
