import BanliCore

/// The protocol version this build speaks.
public let syncProtocolVersion: Int64 = 1

/// The version string bureaus report to the hub.
public let banliVersion = "0.2.0"

/// `POST /v1/sync` request body (pinned shape, DESIGN §4, with documented extensions).
public struct SyncRequest: Sendable {
    public var site: String
    public var storeId: String
    public var cursor: Int64
    public var pushMark: Int64
    public var pushThrough: Int64
    public var exchange: Int64 = 0
    /// The pushed rows, encoded as they are stored.
    public var changes: [StoredFieldRow]
    public var limit: Int
    public var clientVersion: String
    public var backlog: Int
    public var clientTime: UInt64
    public var resync: Bool

    public init(site: String, storeId: String, cursor: Int64, pushMark: Int64, pushThrough: Int64, changes: [StoredFieldRow],
                limit: Int, clientVersion: String = banliVersion, backlog: Int, clientTime: UInt64, resync: Bool) {
        self.site = site
        self.storeId = storeId
        self.cursor = cursor
        self.pushMark = pushMark
        self.pushThrough = pushThrough
        self.changes = changes
        self.limit = limit
        self.clientVersion = clientVersion
        self.backlog = backlog
        self.clientTime = clientTime
        self.resync = resync
    }

    /// The JSON body.
    public func json() -> String {
        var out = "{\"protocol\":\(syncProtocolVersion),\"site\":"
        JSONValue.writeString(site, to: &out)
        out += ",\"storeId\":"
        JSONValue.writeString(storeId, to: &out)
        out += ",\"cursor\":\(cursor),\"pushMark\":\(pushMark),\"pushThrough\":\(pushThrough),\"exchange\":\(exchange),\"limit\":\(limit),\"clientVersion\":"
        JSONValue.writeString(clientVersion, to: &out)
        out += ",\"backlog\":\(backlog),\"clientTime\":\(clientTime),\"resync\":\(resync),\"changes\":["
        FieldLine.writeList(changes, to: &out)
        out += "]}"
        return out
    }
}

/// The envelope of a sync request as the hub reads it; each change is decoded on its own so
/// one bad change is refused while the rest lands.
public struct SyncRequestEnvelope: Sendable {
    public var site: String
    public var storeId: String?
    public var cursor: Int64
    public var pushMark: Int64
    public var pushThrough: Int64
    public var exchange: Int64
    public var limit: Int
    public var clientVersion: String?
    public var backlog: Int
    public var clientTime: UInt64?
    public var resync: Bool
    public var changes: [PushedChange]

    /// The largest batch a unit may ask for.
    public static let maxLimit = 5_000
    /// The most changes one request may carry.
    public static let maxChanges = 20_000

    /// Decodes and checks a request body; a malformed envelope is a `.corruptInput` error (HTTP 400).
    public init(bytes: [UInt8]) throws {
        func bad(_ s: String) -> BanliError { BanliError(.corruptInput, s) }
        let body = try WireEnvelope(bytes: bytes)
        guard let o = body.members else { throw bad("The request body must be a JSON object.") }
        guard o["protocol"] == .int(syncProtocolVersion) else {
            throw bad("Unsupported protocol version \(o["protocol"]?.canonicalJSON ?? "(missing)"); this hub speaks protocol \(syncProtocolVersion).")
        }
        guard let site = o["site"]?.stringValue, Identifier.isValid(site) else { throw bad("'site' must be a valid site name.") }
        func count(_ key: String, default d: Int64? = nil) throws -> Int64 {
            guard let v = o[key] else {
                if let d { return d }
                throw bad("'\(key)' is required.")
            }
            guard let i = v.intValue, i >= 0 else { throw bad("'\(key)' must be a non-negative integer.") }
            return i
        }
        self.site = site
        if let s = o["storeId"], !(s.stringValue.map { !$0.isEmpty && $0.count <= 64 && $0.allSatisfy(\.isHexDigit) } ?? false) {
            throw bad("'storeId' must be the store's hex id.")
        }
        storeId = o["storeId"]?.stringValue
        cursor = try count("cursor")
        pushMark = try count("pushMark", default: 0)
        pushThrough = try count("pushThrough", default: pushMark)
        exchange = try count("exchange", default: 0)
        let limit = try count("limit", default: 500)
        guard limit >= 1, limit <= Int64(Self.maxLimit) else { throw bad("'limit' must be between 1 and \(Self.maxLimit).") }
        self.limit = Int(limit)
        if let v = o["clientVersion"], v.stringValue == nil { throw bad("'clientVersion' must be a string.") }
        clientVersion = o["clientVersion"]?.stringValue.map { String($0.prefix(64)) }
        backlog = Int(try count("backlog", default: 0))
        clientTime = try o["clientTime"].map { _ in UInt64(try count("clientTime")) }
        if let r = o["resync"], r.boolValue == nil { throw bad("'resync' must be true or false.") }
        resync = o["resync"]?.boolValue ?? false
        guard o["changes"] == nil else { throw bad("'changes' must be an array of field states.") }
        let raw = body.changes ?? []
        guard raw.count <= Self.maxChanges else { throw bad("At most \(Self.maxChanges) changes per request; send smaller batches.") }
        // A structurally malformed state (wrong types, bad counters, too many siblings) makes the
        // request malformed: 400. A state naming an unknown entity or field, or holding a value of the
        // wrong type for its field, is refused on its own while the rest lands.
        changes = try raw.enumerated().map { index, item in
            do {
                return .state(try ReplicatedField(wire: item))
            } catch let e as BanliError where e.code == .corruptInput {
                throw bad("Change \(index + 1) is malformed: \(e.message)")
            } catch let e as BanliError {
                let entity = String((item.entity ?? "").prefix(200)), field = String((item.field ?? "").prefix(100))
                return .malformed(Rejection(entity: entity, field: field, reason: e.message, kind: .malformed))
            } catch {
                return .malformed(Rejection(entity: "", field: "", reason: "malformed field state", kind: .malformed))
            }
        }
    }
}

/// `POST /v1/sync` response body.
public struct SyncResponse: Sendable {
    public var accepted: Int
    public var rejected: [Rejection]
    /// The changes as decoded by a bureau.
    public var changes: [ReplicatedField]
    /// The changes as the hub's store returned them, sent after `changes`.
    public var changeRows: [StoredFieldRow] = []
    public var cursor: Int64
    public var more: Bool
    public var hubId: String
    public var hubTime: UInt64
    public var pushMark: Int64
    public var resync: Bool
    public var yourLatest: UInt64

    public init(exchange x: HubExchange, hubId: String, hubTime: UInt64) {
        accepted = x.accepted
        rejected = x.rejected
        changes = []
        changeRows = x.changes
        cursor = x.cursor
        more = x.more
        self.hubId = hubId
        self.hubTime = hubTime
        pushMark = x.pushMark
        resync = x.resync
        yourLatest = x.yourLatest
    }

    /// The JSON body.
    public func json(hubSite: String) -> String {
        var out = "{\"accepted\":\(accepted),\"rejected\":["
        for (i, r) in rejected.enumerated() {
            if i > 0 { out += "," }
            out += "{\"entity\":"
            JSONValue.writeString(r.entity, to: &out)
            out += ",\"field\":"
            JSONValue.writeString(r.field, to: &out)
            out += ",\"reason\":"
            JSONValue.writeString(r.reason, to: &out)
            if let kind = r.kind { out += ",\"kind\":\"\(kind.rawValue)\"" }
            out += "}"
        }
        out += "],\"changes\":["
        for (i, c) in changes.enumerated() {
            if i > 0 { out += "," }
            out += c.jsonLine(hubSite: hubSite)
        }
        if !changes.isEmpty && !changeRows.isEmpty { out += "," }
        FieldLine.writeList(changeRows, to: &out)
        out += "],\"cursor\":\(cursor),\"more\":\(more),\"hubId\":"
        JSONValue.writeString(hubId, to: &out)
        out += ",\"hubTime\":\(hubTime),\"pushMark\":\(pushMark),\"resync\":\(resync),\"yourLatest\":\(yourLatest)}"
        return out
    }

    /// Decodes a hub's answer; anything malformed is a protocol error (the exchange is not applied).
    /// The changes are read straight from the bytes into field states.
    public init(bytes: [UInt8]) throws {
        func bad(_ s: String) -> BanliError { BanliError(.protocolError, "The hub's answer is malformed: \(s).") }
        let body = try WireEnvelope(bytes: bytes)
        guard let o = body.members else { throw bad("not a JSON object") }
        func int(_ k: String) throws -> Int64 {
            guard let i = o[k]?.intValue, i >= 0 else { throw bad("'\(k)' is missing or not a non-negative integer") }
            return i
        }
        accepted = Int(try int("accepted"))
        cursor = try int("cursor")
        hubTime = UInt64(try int("hubTime"))
        pushMark = try int("pushMark")
        yourLatest = UInt64(try int("yourLatest"))
        guard let more = o["more"]?.boolValue else { throw bad("'more' is missing") }
        self.more = more
        resync = o["resync"]?.boolValue ?? false
        guard let hubId = o["hubId"]?.stringValue, !hubId.isEmpty else { throw bad("'hubId' is missing") }
        self.hubId = hubId
        guard case .array(let rawRejected)? = o["rejected"], o["changes"] == nil, let rawChanges = body.changes else {
            throw bad("'rejected' and 'changes' must be arrays")
        }
        rejected = try rawRejected.map { r in
            guard case .object(let x) = r, let e = x["entity"]?.stringValue, let f = x["field"]?.stringValue, let reason = x["reason"]?.stringValue else {
                throw bad("a rejection needs entity, field and reason")
            }
            return Rejection(entity: e, field: f, reason: reason, kind: x["kind"]?.stringValue.flatMap(Rejection.Kind.init(rawValue:)))
        }
        changes = try rawChanges.map { try ReplicatedField(wire: $0) }
    }
}

/// A sync body as read: its members as values, except `changes`, whose field states are read straight
/// from the bytes (`changes` stays among the members only when it is not an array).
struct WireEnvelope {
    /// Nil when the body is not a JSON object.
    let members: [String: JSONValue]?
    let changes: [WireFieldState]?

    init(bytes: [UInt8]) throws {
        var members: [String: JSONValue] = [:]
        var changes: [WireFieldState]?
        let isObject = try JSONReader.whole(bytes) { r in
            guard r.atObject else { _ = try r.readValue(); return false }
            try r.readObject { r, key in
                if key == "changes", r.atArray {
                    var list: [WireFieldState] = []
                    try r.readArray { r in list.append(try WireFieldState(reading: &r)) }
                    changes = list
                } else {
                    members[key] = try r.readValue()
                }
            }
            return true
        }
        self.members = isObject ? members : nil
        self.changes = changes
    }
}
