#!/usr/bin/env bash
# How long `mtb report` takes over many shard folders: FOLDERS run folders of RECORDS records each,
# every folder a shard of one plan (so the report merges them, each case once), copied from the
# records of a real tiny run with each copy's case key made distinct, then `mtb report` timed.
#
#   bench/report_scale.sh [FOLDERS=100] [RECORDS=1000]      (MTB_BUILD_DIR: the build, default build)
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
MTB=${MTB_BUILD_DIR:-$ROOT/build}/mtb
FOLDERS=${1:-100} RECORDS=${2:-1000}
work=$(mktemp -d /tmp/mtb-report-scale-XXXXXX)
trap 'rm -rf "$work"' EXIT
"$MTB" llm -b llamacpp -m tiny -t f32 -p 8 -n 4 -r 2 --warmup 0 --cooldown 0 --no-report --measurements "$work/seed" \
  >/dev/null 2>&1
seed=$(ls -d "$work"/seed/llm_benchmarks/*/*)
node - "$seed" "$work/m" "$FOLDERS" "$RECORDS" <<'JS'
const fs = require("fs"), path = require("path");
const [seed, out, folders, records] = process.argv.slice(2);
const settings = JSON.parse(fs.readFileSync(path.join(seed, "settings.json")));
const record = JSON.parse(fs.readFileSync(path.join(seed, "results.jsonl"), "utf8").split("\n")[0]);
const hw = path.basename(path.dirname(seed));
for (let f = 0; f < +folders; ++f) {
  const dir = path.join(out, "llm_benchmarks", hw, `2026-01-01__00:00:00_${f}`);
  fs.mkdirSync(dir, { recursive: true });
  const s = { ...settings, shard: { plan_hash: "scale", index: f, count: +folders, plan_cases: folders * records, host: "h", hosts: ["h"] } };
  fs.writeFileSync(path.join(dir, "settings.json"), JSON.stringify(s, null, 2));
  let lines = "";
  for (let i = 0; i < +records; ++i) lines += JSON.stringify({ ...record, n_gen: f + 1, n_prompt: i + 1 }) + "\n";
  fs.writeFileSync(path.join(dir, "results.jsonl"), lines);
}
JS
echo "$FOLDERS folders x $RECORDS records: $(du -sh "$work/m" | cut -f1) of results.jsonl"
TIMEFORMAT="mtb report: %R s wall, %U s user"
time "$MTB" report "$work/m" -o "$work/site"
