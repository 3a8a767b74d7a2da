// TEMPORARY until wt-acct merges.
enum UserCommand { static func accountsPath(global: GlobalOptions, override: String?) throws -> String { override ?? "/tmp/web.db" } }
