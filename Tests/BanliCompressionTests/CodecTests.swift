import BanliCompression
import CZstd
import Foundation
import Testing
import TestSupport

/// Round trips, bombs, truncated and corrupt streams, for both codings.
@Suite(.serialized) struct CodecTests {
    /// Inputs from a seeded generator: empty, one byte, random, highly repetitive, JSON-like text, large.
    static func inputs(seed: UInt64) -> [(name: String, bytes: [UInt8])] {
        var rng = SplitMix64(seed: seed)
        func random(_ n: Int) -> [UInt8] { (0..<n).map { _ in UInt8.random(in: 0...255, using: &rng) } }
        let line = Array(#"{"entity":"assignment/rd-2025-39/jxj","field":"replyText","value":"经认真研究，现答复如下"}"#.utf8)
        var json: [UInt8] = []
        while json.count < 300_000 { json += line + Array("\(UInt32.random(in: 0...UInt32.max, using: &rng))\n".utf8) }
        return [
            ("empty", []), ("one byte", [UInt8.random(in: 0...255, using: &rng)]), ("random 1000", random(1000)),
            ("random 70000", random(70_000)), ("repetitive", [UInt8](repeating: 0x61, count: 200_000)), ("json-like", json),
            ("large random", random(3 << 20)),
        ]
    }

    @Test(arguments: ContentCoding.allCases, [UInt64(1), 2, 3])
    func roundTripsWhatItCompresses(coding: ContentCoding, seed: UInt64) throws {
        for (name, bytes) in Self.inputs(seed: seed) {
            let packed = Codec.compress(bytes, as: coding)
            #expect(try Codec.decompress(packed, from: coding, limit: bytes.count) == bytes, "\(coding) \(name)")
            // A limit one below the size refuses.
            if !bytes.isEmpty {
                #expect(throws: DecompressionError.tooLarge(limit: bytes.count - 1), "\(coding) \(name)") {
                    try Codec.decompress(packed, from: coding, limit: bytes.count - 1)
                }
            }
        }
    }

    @Test(arguments: ContentCoding.allCases)
    func repetitiveJSONShrinksToAFraction(coding: ContentCoding) throws {
        let json = Self.inputs(seed: 7).first { $0.name == "json-like" }!.bytes
        let packed = Codec.compress(json, as: coding)
        #expect(packed.count * 5 < json.count, "\(coding): \(json.count) → \(packed.count)")
    }

    /// Peak resident memory (VmHWM) growth while `body` runs, in KiB; Linux resets the peak on "5" > clear_refs.
    func peakGrowthKB(_ body: () throws -> Void) rethrows -> Int {
        func hwm() -> Int {
            let text = (try? String(contentsOfFile: "/proc/self/status", encoding: .utf8)) ?? ""
            let line = text.split(separator: "\n").first { $0.hasPrefix("VmHWM:") } ?? ""
            return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
        }
        try? "5".write(toFile: "/proc/self/clear_refs", atomically: false, encoding: .utf8)
        let before = hwm()
        try body()
        return hwm() - before
    }

    /// One zstd frame of 1 GiB of zeros (streamed, so the test never holds the gigabyte either).
    static func zstdBomb() -> [UInt8] {
        let context = ZSTD_createCCtx()!
        defer { ZSTD_freeCCtx(context) }
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var out: [UInt8] = []
        var scratch = [UInt8](repeating: 0, count: 1 << 16)
        for i in 0..<1024 {
            zeros.withUnsafeBytes { src in
                var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
                var remaining = 1
                while input.pos < input.size || (i == 1023 && remaining != 0) {
                    scratch.withUnsafeMutableBytes { dst in
                        var output = ZSTD_outBuffer(dst: dst.baseAddress, size: dst.count, pos: 0)
                        remaining = ZSTD_compressStream2(context, &output, &input, i == 1023 ? ZSTD_e_end : ZSTD_e_continue)
                        out += dst[0..<output.pos]
                    }
                }
            }
        }
        return out
    }

    @Test func aZstdBombIsRefusedWithinTheLimitsMemory() throws {
        let bomb = Self.zstdBomb()
        #expect(bomb.count < 64 << 10, "1 GiB of zeros in \(bomb.count) bytes")
        let limit = 8 << 20
        let grown = peakGrowthKB {
            #expect(throws: DecompressionError.tooLarge(limit: limit)) { try Codec.decompress(bomb, from: .zstd, limit: limit) }
        }
        #expect(grown < 48 << 10, "peak memory grew by \(grown) KiB while refusing a 1 GiB bomb with an 8 MiB limit")
    }

    @Test func aGzipBombOfManyMembersIsRefusedWithinTheLimitsMemory() throws {
        // 1,024 members of 1 MiB of zeros each: 1 GiB in about 1 MB.
        let member = Codec.compress([UInt8](repeating: 0, count: 1 << 20), as: .gzip, level: 9)
        var bomb: [UInt8] = []
        bomb.reserveCapacity(member.count * 1024)
        for _ in 0..<1024 { bomb += member }
        let limit = 8 << 20
        let grown = peakGrowthKB {
            #expect(throws: DecompressionError.tooLarge(limit: limit)) { try Codec.decompress(bomb, from: .gzip, limit: limit) }
        }
        #expect(grown < 48 << 10, "peak memory grew by \(grown) KiB while refusing a 1 GiB bomb with an 8 MiB limit")
    }

    @Test func aZstdFrameClaimingAHugeWindowIsRefusedBeforeAllocatingIt() throws {
        // Frame header: magic, descriptor 0x00 (window descriptor present, no content size), window descriptor
        // 0xF0 (exponent 30: a 1 GiB window), then a last raw block of one byte.
        let frame: [UInt8] = [0x28, 0xB5, 0x2F, 0xFD, 0x00, 0xF0, 0x09, 0x00, 0x00, 0x41]
        #expect(throws: DecompressionError.windowTooLarge) { try Codec.decompress(frame, from: .zstd, limit: 1 << 20) }
    }

    /// Debian's libzstd still decodes pre-standard (v0.5–v0.7) frames, allocating the window they declare (here 128 MiB)
    /// past `windowLogMax`: only RFC 8878 frames and skippable frames are let through, first or after another frame.
    @Test func onlyStandardAndSkippableZstdFramesAreDecoded() throws {
        let json = Array(#"{"site":"jxj","changes":[]}"#.utf8)
        let legacy: [UInt8] = [0x27, 0xB5, 0x2F, 0xFD, 0x00, 0x88, 0x40, 0x00, UInt8(json.count)] + json + [0xC0, 0x00, 0x00]
        let standard = Codec.compress(json, as: .zstd)
        let skippable: [UInt8] = [0x5A, 0x2A, 0x4D, 0x18, 0x03, 0x00, 0x00, 0x00, 0x61, 0x62, 0x63]
        for body in [legacy, standard + legacy, skippable + legacy] {
            #expect(throws: DecompressionError.corrupt("not an RFC 8878 zstd frame")) { try Codec.decompress(body, from: .zstd, limit: 1 << 20) }
        }
        #expect(throws: DecompressionError.corrupt("2 bytes after the last frame are not a frame")) {
            try Codec.decompress(standard + [0x28, 0xB5], from: .zstd, limit: 1 << 20)
        }
        #expect(try Codec.decompress(skippable + standard + skippable + standard, from: .zstd, limit: 1 << 20) == json + json)
    }

    @Test(arguments: ContentCoding.allCases)
    func truncatedStreamsAreRefused(coding: ContentCoding) throws {
        let bytes = Self.inputs(seed: 11).first { $0.name == "json-like" }!.bytes
        let packed = Codec.compress(bytes, as: coding)
        #expect(throws: DecompressionError.truncated) { try Codec.decompress([], from: coding, limit: 1 << 20) }
        var rng = SplitMix64(seed: 12)
        for cut in [1, 5, packed.count / 2, packed.count - 1] + (0..<20).map({ _ in Int.random(in: 1..<packed.count, using: &rng) }) {
            let prefix = Array(packed.prefix(cut))
            #expect(throws: DecompressionError.self, "\(coding) cut at \(cut) of \(packed.count)") {
                try Codec.decompress(prefix, from: coding, limit: 1 << 20)
            }
        }
        #expect(throws: DecompressionError.truncated) { try Codec.decompress(Array(packed.dropLast()), from: coding, limit: 1 << 20) }
    }

    @Test(arguments: ContentCoding.allCases)
    func corruptedStreamsAreRefusedOrDecodeUnchanged(coding: ContentCoding) throws {
        let bytes = Self.inputs(seed: 13).first { $0.name == "json-like" }!.bytes
        let packed = Codec.compress(bytes, as: coding)
        var rng = SplitMix64(seed: 14)
        // Both formats carry a checksum (gzip's CRC-32, and the zstd content checksum Codec turns on), so a flipped byte
        // is refused: a corrupted body never decodes to other bytes. It may decode unchanged when it fell in a field that
        // does not matter (gzip's mtime or OS byte; zstd's checksum flag, which then goes unchecked).
        var refused = 0
        for _ in 0..<200 {
            var bad = packed
            let at = Int.random(in: 0..<bad.count, using: &rng)
            bad[at] ^= UInt8.random(in: 1...255, using: &rng)
            do {
                let out = try Codec.decompress(bad, from: coding, limit: 1 << 20)
                #expect(out == bytes, "\(coding) decoded a corrupt stream to other bytes (byte \(at))")
                if coding == .gzip { #expect((4...9).contains(at), "gzip decoded a corrupt stream (byte \(at))") }
            } catch is DecompressionError {
                refused += 1
            }
        }
        #expect(refused > 190, "\(coding): \(refused) of 200 corruptions refused")
        #expect(throws: DecompressionError.self) { try Codec.decompress(Array("{\"plain\":\"json\"}".utf8), from: coding, limit: 1 << 20) }
        #expect(throws: DecompressionError.self) { try Codec.decompress(packed + [0x00, 0x01, 0x02, 0x03], from: coding, limit: 1 << 20) }
    }

    /// Decided: concatenated gzip members and zstd frames decode to the concatenation of their contents (RFC 1952 §2.2,
    /// RFC 8878 §3), within one limit.
    @Test(arguments: ContentCoding.allCases)
    func concatenatedMembersAndFramesDecodeToTheirConcatenation(coding: ContentCoding) throws {
        let a = Array("{\"a\":".utf8), b = Array("[1,2,3]}".utf8)
        let both = Codec.compress(a, as: coding) + Codec.compress(b, as: coding) + Codec.compress([], as: coding)
        #expect(try Codec.decompress(both, from: coding, limit: 100) == a + b)
        #expect(throws: DecompressionError.tooLarge(limit: a.count + b.count - 1)) {
            try Codec.decompress(both, from: coding, limit: a.count + b.count - 1)
        }
    }
}
