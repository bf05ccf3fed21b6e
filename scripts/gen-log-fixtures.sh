#!/bin/bash
# Regenerates fixtures/rules/LOG*/ from scripts/gen-logs.py (deterministic).
set -euo pipefail
cd "$(dirname "$0")/.."
g() { # g RULE fail|pass SCENARIO FORMAT [SEED]
  local dir="fixtures/rules/$1/$2"; rm -rf "$dir"; mkdir -p "$dir"
  local ext=jsonl; [ "$4" = nginx ] && ext=log
  python3 scripts/gen-logs.py --light --days 2 --scenario "$3" --format "$4" --seed "${5:-7}" --out "$dir" --name "access.$ext" >/dev/null
}
g LOG001 fail gaps jsonl
g LOG001 pass clean jsonl 11
g LOG002 fail prompts jsonl
g LOG002 pass hashed jsonl
g LOG003 fail failures jsonl
g LOG003 pass clean nginx
g LOG004 fail spike jsonl
g LOG004 pass near-spike jsonl
g LOG005 fail offhours nginx
g LOG005 pass clean nginx 12
g LOG006 fail newres jsonl
g LOG006 pass human-newres jsonl
g LOG007 fail outlier jsonl
g LOG007 pass clean jsonl 13
g LOG008 fail tokenlimit jsonl
g LOG008 pass some-limit jsonl
g LOG009 fail burst nginx
g LOG009 pass clean jsonl 14
