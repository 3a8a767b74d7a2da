import BanliCore
import CZlib
import CZstd

/// The HTTP content codings Banli speaks, in the hub's order of preference: zstd (smaller and faster), then gzip
/// (which every HTTP client has).
public enum ContentCoding: String, Sendable, CaseIterable {
    case zstd
    case gzip

    /// The coding an HTTP `Content-Encoding` value names (case-insensitive; `x-gzip` is gzip, RFC 9110 §8.4.1.3);
    /// nil for anything else, `identity` included.
    public init?(headerValue: String) {
        switch headerValue.trimmedWhitespace.lowercased() {
        case "zstd": self = .zstd
        case "gzip", "x-gzip": self = .gzip
        default: return nil
        }
    }
}

/// Why a compressed body was refused.
public enum DecompressionError: Error, Equatable, Sendable {
    /// It decompresses to more than `limit` bytes (a bomb, or a body past the hub's limit).
    case tooLarge(limit: Int)
    /// The stream ends before its end marker (an empty body included).
    case truncated
    /// Not a valid stream of this coding (bad header, checksum, trailing garbage…); `detail` is the library's word.
    case corrupt(String)
    /// A valid zstd frame whose window is larger than `Codec.zstdWindowLogMax` allows.
    case windowTooLarge
    /// The decoder could not be allocated: the receiver's fault, not the sender's.
    case outOfMemory

    /// One English sentence for an error answer about a request body in `coding`.
    public func sentence(_ coding: ContentCoding) -> String {
        switch self {
        case .tooLarge(let limit): "The \(coding.rawValue) request body decompresses to more than \(limit) bytes."
        case .truncated: "The \(coding.rawValue) request body ends before its stream does; send it whole."
        case .corrupt(let detail): "The \(coding.rawValue) request body is corrupt (\(detail))."
        case .windowTooLarge: "The zstd request body asks for a window over \((1 << Codec.zstdWindowLogMax) >> 20) MiB, the most the hub decodes."
        case .outOfMemory: "The receiver has no memory for a \(coding.rawValue) decoder now; send again later."
        }
    }
}

/// One-shot compression and bounded decompression of whole bodies.
///
/// Concatenated gzip members and zstd frames are decoded one after another into one body, as RFC 1952 §2.2 and
/// RFC 8878 §3 say; the limit applies to their total. Anything after the last complete member or frame is refused.
public enum Codec {
    /// Bodies up to this size are sent as they are, both ways: compressing a no-op exchange's few hundred bytes would
    /// cost more time than the bytes it saves.
    public static let threshold = 1024
    /// Bytes of output produced at a time while decompressing.
    static let chunk = 64 << 10
    /// The largest zstd window accepted (8 MiB): a frame may claim a window up to 2 GiB, which the decoder would
    /// allocate before writing a byte. Banli's own frames (level 3) use 2 MiB at most.
    public static let zstdWindowLogMax: Int32 = 23

    /// `bytes` compressed with `coding`; `level` nil is the library's default trade-off (zstd 3, gzip 6).
    public static func compress(_ bytes: [UInt8], as coding: ContentCoding, level: Int32? = nil) -> [UInt8] {
        switch coding {
        case .zstd: zstdCompress(bytes, level: level ?? 3)
        case .gzip: gzipCompress(bytes, level: level ?? 6)
        }
    }

    /// `bytes` decompressed, refused with `DecompressionError` when the result would be larger than `limit` bytes
    /// (never holding more than `limit` bytes of output plus one chunk), or when the stream is truncated or corrupt.
    public static func decompress(_ bytes: [UInt8], from coding: ContentCoding, limit: Int) throws -> [UInt8] {
        switch coding {
        case .zstd: try zstdDecompress(bytes, limit: limit)
        case .gzip: try gzipDecompress(bytes, limit: limit)
        }
    }

    /// Appends produced bytes, refusing past `limit` and growing the buffer no further than `limit`.
    private static func append(_ produced: UnsafeRawBufferPointer, to out: inout [UInt8], limit: Int) throws {
        guard produced.count <= limit - out.count else { throw DecompressionError.tooLarge(limit: limit) }
        let needed = out.count + produced.count
        // Array's own growth doubles, which could allocate twice the limit.
        if out.capacity < needed { out.reserveCapacity(min(limit, max(needed, 2 * out.capacity, chunk))) }
        out.append(contentsOf: produced)
    }

    // MARK: zstd

    private static func zstdCompress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
        // Only an allocation failure can fail here, with a buffer of compressBound: nothing a caller could act on.
        guard let context = ZSTD_createCCtx() else { preconditionFailure("no memory for a zstd encoder") }
        defer { ZSTD_freeCCtx(context) }
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_compressionLevel, level)
        // The content checksum (4 bytes a frame): a corrupted body is refused, never decoded to other JSON.
        _ = ZSTD_CCtx_setParameter(context, ZSTD_c_checksumFlag, 1)
        var out = [UInt8](repeating: 0, count: ZSTD_compressBound(bytes.count))
        let written = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                ZSTD_compress2(context, dst.baseAddress, dst.count, src.baseAddress, src.count)
            }
        }
        precondition(ZSTD_isError(written) == 0, "ZSTD_compress2 failed: \(String(cString: ZSTD_getErrorName(written)))")
        out.removeSubrange(written...)
        return out
    }

    private static func zstdDecompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        guard !bytes.isEmpty else { throw DecompressionError.truncated }
        guard let context = ZSTD_createDCtx() else { throw DecompressionError.outOfMemory }
        defer { ZSTD_freeDCtx(context) }
        _ = ZSTD_DCtx_setParameter(context, ZSTD_d_windowLogMax, zstdWindowLogMax)
        var out: [UInt8] = []
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { scratch.deallocate() }
        try bytes.withUnsafeBytes { src in
            var input = ZSTD_inBuffer(src: src.baseAddress, size: src.count, pos: 0)
            try standardFrameStarts(src, at: 0)
            while true {
                var output = ZSTD_outBuffer(dst: scratch.baseAddress, size: scratch.count, pos: 0)
                let hint = ZSTD_decompressStream(context, &output, &input)
                if ZSTD_isError(hint) != 0 {
                    if ZSTD_getErrorCode(hint) == ZSTD_error_frameParameter_windowTooLarge { throw DecompressionError.windowTooLarge }
                    throw DecompressionError.corrupt(String(cString: ZSTD_getErrorName(hint)))
                }
                try append(UnsafeRawBufferPointer(rebasing: scratch[0..<output.pos]), to: &out, limit: limit)
                // 0: a frame ended and is flushed; more input is a further frame.
                if hint == 0 {
                    if input.pos == input.size { return }
                    try standardFrameStarts(src, at: input.pos)
                    continue
                }
                // Mid-frame, all input read and the output not full: nothing more can come.
                if input.pos == input.size && output.pos < output.size { throw DecompressionError.truncated }
            }
        }
        return out
    }

    /// Refuses anything but an RFC 8878 frame or a skippable frame at `pos`: Debian's libzstd still decodes the
    /// pre-standard v0.5–v0.7 frames, whose windows (up to 128 MiB) `ZSTD_d_windowLogMax` does not bound.
    private static func standardFrameStarts(_ src: UnsafeRawBufferPointer, at pos: Int) throws {
        let left = src.count - pos
        guard left >= 4 else { throw pos == 0 ? DecompressionError.truncated : .corrupt("\(left) bytes after the last frame are not a frame") }
        let magic = UInt32(src[pos]) | UInt32(src[pos + 1]) << 8 | UInt32(src[pos + 2]) << 16 | UInt32(src[pos + 3]) << 24
        guard magic == 0xFD2F_B528 || magic & 0xFFFF_FFF0 == 0x184D_2A50 else {
            throw DecompressionError.corrupt("not an RFC 8878 zstd frame")
        }
    }

    // MARK: gzip

    private static func gzipCompress(_ bytes: [UInt8], level: Int32) -> [UInt8] {
        var stream = z_stream()
        precondition(banli_deflate_init_gzip(&stream, level) == Z_OK, "deflateInit2 failed")
        defer { deflateEnd(&stream) }
        var out = [UInt8](repeating: 0, count: Int(deflateBound(&stream, uLong(bytes.count))))
        let rc: Int32 = bytes.withUnsafeBytes { src in
            out.withUnsafeMutableBytes { dst in
                stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
                stream.avail_in = uInt(src.count)
                stream.next_out = dst.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(dst.count)
                return deflate(&stream, Z_FINISH)
            }
        }
        // deflateBound's buffer always holds the whole stream.
        precondition(rc == Z_STREAM_END, "deflate did not finish (\(rc))")
        out.removeSubrange(Int(stream.total_out)...)
        return out
    }

    private static func gzipDecompress(_ bytes: [UInt8], limit: Int) throws -> [UInt8] {
        guard bytes.count <= Int(UInt32.max) else { throw DecompressionError.tooLarge(limit: limit) }
        var stream = z_stream()
        guard banli_inflate_init_gzip(&stream) == Z_OK else { throw DecompressionError.outOfMemory }
        defer { inflateEnd(&stream) }
        var out: [UInt8] = []
        let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: chunk, alignment: 16)
        defer { scratch.deallocate() }
        try bytes.withUnsafeBytes { src in
            stream.next_in = UnsafeMutablePointer(mutating: src.bindMemory(to: Bytef.self).baseAddress)
            stream.avail_in = uInt(src.count)
            while true {
                stream.next_out = scratch.bindMemory(to: Bytef.self).baseAddress
                stream.avail_out = uInt(scratch.count)
                let rc = inflate(&stream, Z_NO_FLUSH)
                let produced = scratch.count - Int(stream.avail_out)
                try append(UnsafeRawBufferPointer(rebasing: scratch[0..<produced]), to: &out, limit: limit)
                switch rc {
                case Z_STREAM_END:
                    if stream.avail_in == 0 { return }
                    // Another member follows.
                    guard inflateReset(&stream) == Z_OK else { throw DecompressionError.corrupt("inflateReset failed") }
                case Z_OK:
                    continue
                case Z_BUF_ERROR:
                    // No progress with a whole empty chunk to write into: the input ran out.
                    throw DecompressionError.truncated
                default:
                    throw DecompressionError.corrupt(stream.msg.map { String(cString: $0) } ?? "zlib error \(rc)")
                }
            }
        }
        return out
    }
}
