import BanliCore
import NIOSSL

/// A listener's TLS files (the hub's bureaus' listener, the workbench): PEM certificate chain and key, and
/// optionally the CA that client certificates must chain to.
public struct ServerTLS: Sendable {
    public var certFile: String
    public var keyFile: String
    public var clientCAFile: String?

    public init(certFile: String, keyFile: String, clientCAFile: String?) {
        self.certFile = certFile
        self.keyFile = keyFile
        self.clientCAFile = clientCAFile
    }

    /// The server TLS configuration, with a clear error for a missing or unreadable file.
    public func configuration() throws -> TLSConfiguration {
        func load<T>(_ what: String, _ path: String, _ body: () throws -> T) throws -> T {
            do { return try body() } catch {
                throw BanliError(.config, "Cannot load the TLS \(what) \(path) (\(error)); check the path, its permissions and that it is PEM.")
            }
        }
        let chain = try load("certificate", certFile) { try NIOSSLCertificate.fromPEMFile(certFile) }
        let key = try load("key", keyFile) { try NIOSSLPrivateKey(file: keyFile, format: .pem) }
        var config = TLSConfiguration.makeServerConfiguration(certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key))
        if let ca = clientCAFile {
            let roots = try load("client CA", ca) { try NIOSSLCertificate.fromPEMFile(ca) }
            config.trustRoots = .certificates(roots)
            config.certificateVerification = .noHostnameVerification
        }
        return config
    }
}
