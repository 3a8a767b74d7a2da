import BanliCore
import BanliPages

extension HubStatusReport {
    /// The report as `GET /v1/status` and `banli hub status --json` print it (docs/protocol.md, openapi.yaml): canonical JSON,
    /// keys sorted. Written entry by entry, so that a hub's year of 督办 entries is never held a second time as a JSON tree.
    public var canonicalJSON: String {
        var out = "{\"attention\":{"
        for (i, site) in attention.keys.sorted().enumerated() {
            if i > 0 { out += "," }
            JSONValue.writeString(site, to: &out)
            out += ":["
            for (j, chase) in attention[site, default: []].enumerated() {
                if j > 0 { out += "," }
                chase.json.write(to: &out)
            }
            out += "]"
        }
        out += "},\"conflicts\":"
        JSONValue.array(conflicts.map(\.json)).write(to: &out)
        out += ",\"hub\":"
        hub.json.write(to: &out)
        out += ",\"reminders\":"
        reminders.json.write(to: &out)
        out += ",\"totals\":"
        totals.json.write(to: &out)
        out += ",\"units\":"
        JSONValue.array(units.map(\.json)).write(to: &out)
        out += "}"
        return out
    }

    static func time(_ ms: Int64?) -> JSONValue { ms.map { .string(isoTime(milliseconds: $0)) } ?? .null }
    static func text(_ s: String?) -> JSONValue { s.map(JSONValue.string) ?? .null }
}

extension HubStatusReport.Hub {
    var json: JSONValue {
        .object(["site": .string(site), "hubId": .string(hubId), "time": .int(Int64(timeMilliseconds)), "version": .string(version)])
    }
}

extension HubStatusReport.Unit {
    var json: JSONValue {
        typealias R = HubStatusReport
        return .object([
            "site": .string(site), "name": .string(name), "lastSyncAt": R.time(lastSyncAt), "lastSuccessAt": R.time(lastSuccessAt),
            "lastError": R.text(lastError?.english), "reason": R.text(lastError?.chinese),
            "stale": .bool(stale), "backlog": .int(Int64(backlog)), "rejected": .int(Int64(rejected)),
            "clockOffsetMs": clockOffsetMs.map(JSONValue.int) ?? .null, "clientVersion": R.text(clientVersion),
            "items": .int(Int64(items)), "overdue": .int(Int64(overdue)),
        ])
    }
}

extension HubStatusReport.Totals {
    var json: JSONValue {
        .object([
            "units": .int(Int64(units)), "stale": .int(Int64(stale)), "items": .int(Int64(items)),
            "overdue": .int(Int64(overdue)), "conflicts": .int(Int64(conflicts)), "failing": .int(Int64(failing)),
        ])
    }
}

extension HubStatusReport.Chase {
    var json: JSONValue {
        .object([
            "id": .string(id), "title": .string(title), "dueAt": .string(dueAt.description), "overdue": .bool(overdue),
            "stage": .string(stage.rawValue), "label": .string(stage.label), "role": HubStatusReport.text(role),
        ])
    }
}

extension HubStatusReport.Conflict {
    var json: JSONValue {
        .object([
            "entity": .string(entity.description), "field": .string(field), "label": .string(label),
            "values": .array(values.map { .object(["site": .string($0.site), "value": $0.value]) }),
        ])
    }
}

extension HubStatusReport.Reminders {
    var json: JSONValue {
        let failure = lastError.map(ReminderFailure.init(stored:))
        return .object(["failing": .int(Int64(failing)), "lastError": HubStatusReport.text(failure?.english), "reason": HubStatusReport.text(failure?.chinese),
                        "lastFailureAt": HubStatusReport.time(lastFailureAt)])
    }
}
