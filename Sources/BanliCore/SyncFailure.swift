/// A bureau's last failed sync as its store keeps it: the error's kind and sentence (for IT staff and the journal),
/// and what a clerk reads on the workbench and in `banli status`: one Chinese sentence saying what to do.
public struct SyncFailure: Sendable, Hashable {
    /// The error's kind; nil for text an older release stored.
    public var code: BanliError.Code?
    /// The error's own sentence.
    public var detail: String

    public init(_ error: BanliError) {
        code = error.code
        detail = error.message
    }

    /// Reads what `stored` wrote; any other text is an older release's sentence, kept as it is.
    public init(stored text: String) {
        if text.hasPrefix("{\""), case .object(let o)? = try? JSONValue.parse(text), let d = o["detail"]?.stringValue,
           let c = o["code"]?.stringValue.flatMap(BanliError.Code.init(rawValue:)) {
            code = c
            detail = d
        } else {
            code = nil
            detail = text
        }
    }

    /// The text kept in the store.
    public var stored: String {
        guard let code else { return detail }
        return JSONValue.object(["code": .string(code.rawValue), "detail": .string(detail)]).canonicalJSON
    }

    /// What it means for the clerk, and whom to ask.
    public var chinese: String {
        switch code {
        case .unreachable:
            "连不上交办机关的服务器；本单位的修改都已保存，连通后会自动同步。如持续失败，请联系本单位信息化人员检查网络和服务器地址（hub_url）。"
        case .unauthorized:
            "交办机关不接受本单位的令牌（或单位代码与令牌不符）；请向交办机关申请新令牌，由信息化人员更新 token_file。"
        case .protocolError, .corruptInput:
            "交办机关服务器的应答无法处理；请联系信息化人员，把本单位的 banli 升级到与交办机关相同的版本。"
        case .clockSkew:
            "本机时钟与交办机关服务器相差过大；请信息化人员校准本机时间（NTP）后再同步。"
        case .storeUnavailable, .io:
            "本单位的数据文件暂时无法写入（磁盘已满或只读）；已有数据未受影响，请联系信息化人员处理后再同步。"
        case .config, .usage:
            "同步设置有误；请信息化人员按错误详情修改配置文件后再同步。"
        default:
            "同步失败；请联系本单位信息化人员，并把错误详情发给他。"
        }
    }
}
