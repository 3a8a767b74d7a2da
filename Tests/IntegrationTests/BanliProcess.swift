import Foundation
import Testing

/// Runs the real `banli` binary built next to the test bundle.
struct BanliProcess {
    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// The built `banli` executable: $BANLI_BIN, else the one beside this test runner.
    static let binary: String = {
        if let b = ProcessInfo.processInfo.environment["BANLI_BIN"] { return b }
        let exe = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        var dir = URL(fileURLWithPath: exe).deletingLastPathComponent()
        // The runner may sit inside a .xctest bundle folder.
        while !FileManager.default.fileExists(atPath: dir.appendingPathComponent("banli").path), dir.path != "/" {
            dir = dir.deletingLastPathComponent()
        }
        return dir.appendingPathComponent("banli").path
    }()

    var directory: String
    var environment: [String: String] = [:]
    /// A command that runs the binary (e.g. `faketime -f +120s`).
    var wrapper: [String] = []

    /// Runs `banli args…` in `directory`, feeding `stdin`.
    @discardableResult
    func run(_ args: [String], stdin: String? = nil) throws -> Result {
        let p = Process()
        p.executableURL = URL(fileURLWithPath: wrapper.first ?? Self.binary)
        p.arguments = wrapper.isEmpty ? args : Array(wrapper.dropFirst()) + [Self.binary] + args
        p.currentDirectoryURL = URL(fileURLWithPath: directory)
        var env = ProcessInfo.processInfo.environment
        env["BANLI_CONFIG"] = nil
        for (k, v) in environment { env[k] = v }
        p.environment = env
        let out = Pipe(), err = Pipe(), inp = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = inp
        try p.run()
        if let stdin { inp.fileHandleForWriting.write(Data(stdin.utf8)) }
        try inp.fileHandleForWriting.close()
        // Read both pipes fully before waiting, so a large output cannot block the child.
        let group = DispatchGroup()
        nonisolated(unsafe) var outData = Data(), errData = Data()
        group.enter()
        DispatchQueue.global().async { outData = out.fileHandleForReading.readDataToEndOfFile(); group.leave() }
        errData = err.fileHandleForReading.readDataToEndOfFile()
        group.wait()
        p.waitUntilExit()
        return Result(status: p.terminationStatus, stdout: String(decoding: outData, as: UTF8.self), stderr: String(decoding: errData, as: UTF8.self))
    }

    /// Runs and requires success, returning stdout.
    @discardableResult
    func ok(_ args: [String], stdin: String? = nil, sourceLocation: SourceLocation = #_sourceLocation) throws -> String {
        let r = try run(args, stdin: stdin)
        #expect(r.status == 0, "banli \(args.joined(separator: " ")) failed: \(r.stderr)", sourceLocation: sourceLocation)
        return r.stdout
    }

    /// Makes a fresh temporary folder.
    static func temporaryDirectory() throws -> String {
        let dir = NSTemporaryDirectory() + "banli-it-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        return dir
    }
}
