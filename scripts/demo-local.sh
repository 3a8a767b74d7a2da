#!/usr/bin/env bash
# A local walk-through: a hub store and two bureau stores exchanging files, no network.
set -euo pipefail
BANLI=${BANLI:-banli}
dir=$(mktemp -d /tmp/banli-demo.XXXXXX)
cd "$dir"
step() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
run() { printf '$ banli %s\n' "$*"; "$BANLI" "$@"; }

step "The office (市政府督查室) creates its hub store and registers two bureaus"
run hub init --store hub.db --name 市政府督查室
run hub add-unit jxj --name 市经信局 --store hub.db --token-file jxj.token
run hub add-unit fgw --name 市发改委 --store hub.db --token-file fgw.token

step "交办: proposal 90 of 2025, 市经信局 leads, 市发改委 cooperates"
run item new zx-2025-90 --kind 提案 --number 90 --year 2025 --title 关于促进民营经济发展的提案 --proposer 程玮 --proposer 王秋红 --store hub.db
run item assign zx-2025-90 jxj --role 主办 --at 2025-03-20 --store hub.db
run item assign zx-2025-90 fgw --role 会办 --store hub.db

step "Each bureau creates its store and loads the hub's export (dump → apply, the offline exchange)"
run init --site jxj --name 市经信局 --store jxj.db
run init --site fgw --name 市发改委 --store fgw.db
"$BANLI" dump --json --store hub.db > hub-export.jsonl
run apply hub-export.jsonl --store jxj.db
run apply hub-export.jsonl --store fgw.db

step "市经信局 signs for it and replies with category B; offline, the hub records A on its behalf (代录)"
run item set zx-2025-90 acceptedAt 2025-03-22 --store jxj.db
run item set zx-2025-90 replyCategory B --store jxj.db
run item set zx-2025-90 replyCategory 已解决或基本解决 --unit jxj --store hub.db

step "The bureau's file reaches the hub: both values are kept, the conflict is listed"
"$BANLI" dump --json --store jxj.db > jxj-export.jsonl
run apply jxj-export.jsonl --store hub.db
run conflicts --store hub.db

step "The office settles it, and the bureau receives the resolution"
run resolve assignment/zx-2025-90/jxj replyCategory A --store hub.db
"$BANLI" dump --json --store hub.db > hub-export2.jsonl
run apply hub-export2.jsonl --store jxj.db
run conflicts --store jxj.db
run item show zx-2025-90 --store jxj.db
run item list --store hub.db

step "A bureau may not write the office's fields"
run item set zx-2025-90 title 改标题 --store jxj.db || true

printf '\nThe stores are in %s\n' "$dir"
