import Foundation
import Testing

@testable import banli

/// The repository's root (config/, systemd/, docs/).
let repositoryRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

/// A tool a test runs. `make test` installs every one and names it in $BANLI_<NAME>; without that
/// variable the tool is looked for in .build/venv (the Python tools) and on PATH. A missing tool fails
/// the test with a sentence saying how to get it: a test that could not run must never pass.
struct TestTool: Sendable {
    var name: String
    var variable: String
    var install: String

    static let schemathesis = TestTool(
        name: "schemathesis", variable: "BANLI_SCHEMATHESIS",
        install: "run `make test`, which installs it into .build/venv (or `pip install schemathesis`)")
    static let chromium = TestTool(
        name: "chromium", variable: "BANLI_CHROMIUM",
        install: "run `make test` as root, which installs it (or `apt-get install chromium fonts-wqy-zenhei`)")
    static let openssl = TestTool(
        name: "openssl", variable: "BANLI_OPENSSL", install: "run `make test` as root, which installs it (or `apt-get install openssl`)")
    static let systemdAnalyze = TestTool(
        name: "systemd-analyze", variable: "BANLI_SYSTEMD_ANALYZE",
        install: "run `make test` as root, which installs it (or `apt-get install systemd`)")
    static let faketime = TestTool(
        name: "faketime", variable: "BANLI_FAKETIME", install: "run `make test` as root, which installs it (or `apt-get install faketime`)")

    struct Missing: Error, CustomStringConvertible {
        var description: String
    }

    /// The tool's executable, or an error that fails the test.
    func path() throws -> String {
        let fm = FileManager.default
        if let given = ProcessInfo.processInfo.environment[variable], !given.isEmpty {
            guard fm.isExecutableFile(atPath: given) else {
                throw Missing(description: "\(name) is not installed at \(given) ($\(variable)): \(install).")
            }
            return given
        }
        let path = (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":").map(String.init)
        let dirs = [repositoryRoot.appendingPathComponent(".build/venv/bin").path] + path + ["/usr/bin", "/bin", "/usr/sbin"]
        if let found = dirs.map({ "\($0)/\(name)" }).first(where: { fm.isExecutableFile(atPath: $0) }) { return found }
        throw Missing(description: "\(name) is not installed: \(install).")
    }
}

/// The files `make install` ships are the ones the tests check: every config file parses with the
/// loader the daemon and the hub use, and every key in it is explained.
@Suite struct ShippedFilesTests {
    /// config/*.toml from the directory listing, so a new config file is covered without editing this test.
    func configFiles() throws -> [URL] {
        let dir = repositoryRoot.appendingPathComponent("config")
        let files = try FileManager.default.contentsOfDirectory(at: dir, includingPropertiesForKeys: nil)
            .filter { $0.pathExtension == "toml" }.sorted { $0.lastPathComponent < $1.lastPathComponent }
        // The two the README and `make install` name must be among them.
        #expect(Set(files.map(\.lastPathComponent)).isSuperset(of: ["banli.toml", "hub.toml"]), "\(files)")
        return files
    }

    @Test func everyConfigFileParsesWithTheRealLoader() throws {
        for file in try configFiles() {
            #expect(throws: Never.self, "\(file.lastPathComponent)") { _ = try BanliConfig.load(path: file.path) }
        }
        // The values the README promises an operator who installs them unchanged.
        let hub = try BanliConfig.load(path: repositoryRoot.appendingPathComponent("config/hub.toml").path)
        #expect(hub.listen == "0.0.0.0:8480" && hub.adminListen == "127.0.0.1:8481", "README: :8480 for bureaus, 127.0.0.1:8481 for status")
        #expect(hub.tlsCertFile == nil, "empty TLS paths mean plain HTTP")
        let bureau = try BanliConfig.load(path: repositoryRoot.appendingPathComponent("config/banli.toml").path)
        #expect(bureau.tokenFile == "/etc/banli/token" && bureau.interval == 60)
    }

    /// Every key has a comment block right above it with both English and Chinese, as the README promises.
    @Test func everyConfigKeyIsCommentedInEnglishAndChinese() throws {
        for file in try configFiles() {
            let lines = try String(contentsOf: file, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
            var keys = 0
            for (i, line) in lines.enumerated() where line.range(of: #"^[a-z_]+\s*="#, options: .regularExpression) != nil {
                keys += 1
                let comment = lines[..<i].reversed().prefix { $0.hasPrefix("#") }.joined(separator: " ")
                let key = String(line.prefix { $0 != " " && $0 != "=" })
                #expect(comment.range(of: "[A-Za-z]{3,} [A-Za-z]{2,}", options: .regularExpression) != nil,
                        "\(file.lastPathComponent) line \(i + 1): '\(key)' has no English comment above it")
                #expect(comment.unicodeScalars.contains { (0x4E00...0x9FFF).contains($0.value) },
                        "\(file.lastPathComponent) line \(i + 1): '\(key)' has no Chinese comment above it")
            }
            #expect(keys >= 5, "\(file.lastPathComponent): found only \(keys) keys")
        }
    }
}
