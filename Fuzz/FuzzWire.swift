// libFuzzer entry point for the wire decoder, the join and the stored form (`make fuzz`). Built together with
// BanliCore's sources by swiftc -sanitize=fuzzer,address; not part of the package.

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzWire(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: data, count: size)
    // Damaged stored states are refused or decoded, never misread: what decodes re-encodes to a form
    // that decodes to the same state, and its wire line is the decoded field's.
    if let state = try? FieldState(storedForm: UnsafeRawBufferPointer(bytes), visibleValue: { .string("v") }) {
        let visible = state.siblings.firstIndex { $0.value == .string("v") }
        let again = state.storedForm(visibleIndex: visible)
        let back = try? again.withUnsafeBytes { try FieldState(storedForm: $0) { .string("v") } }
        precondition(back == state, "a decoded stored state does not survive its own encoding")
    }
    // The streaming reader (sync answers) and the parsed-value path decide alike.
    let streamed = Result { try ReplicatedField(jsonLine: bytes) }
    guard let value = try? JSONValue.parse(bytes: bytes) else {
        precondition((try? streamed.get()) == nil, "the streaming reader accepted what the parser refuses")
        return 0
    }
    switch (streamed, Result { try ReplicatedField(json: value) }) {
    case (.success(let a), .success(let b)): precondition(a == b, "the two decoders disagree")
    case (.failure(let a as BanliError), .failure(let b as BanliError)): precondition(a.code == b.code, "the two decoders refuse differently")
    default: preconditionFailure("one decoder accepted what the other refused")
    }
    // Canonical JSON is a fixed point.
    let canonical = value.canonicalJSON
    guard let again = try? JSONValue.parse(canonical) else { fatalError("canonical JSON does not parse: \(canonical)") }
    precondition(again.canonicalJSON == canonical, "canonical JSON is not stable")
    // A state that decodes survives its own line, and join with itself changes nothing.
    if let field = try? ReplicatedField(json: value) {
        let line = field.jsonLine(hubSite: "hub")
        guard let back = try? ReplicatedField(jsonLine: line) else { fatalError("a decoded state's own line does not decode: \(line)") }
        precondition(back == field, "the line round trip changed the state")
        precondition(field.state.joined(with: field.state) == field.state, "join is not idempotent")
        var empty = FieldState()
        empty.join(field.state)
        precondition(empty == field.state, "joining into an empty state changed it")
        _ = field.visibleValue(hubSite: "hub")
    }
    return 0
}
