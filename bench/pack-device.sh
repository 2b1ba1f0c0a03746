#!/usr/bin/env bash
# Prepares .device/ (git-ignored) for a GPU machine that reaches no package registry: the pinned
# llama.cpp sources (no history), the tokenizer files, and the Debian packages of mtb's header
# libraries and GoogleTest, which bench/gpu.sh unpacks there. Run here, then carry .device.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
source scripts/pins.env
[ -d third_party/llama.cpp/.git ] || { echo "pack-device.sh: run scripts/setup.sh first" >&2; exit 1; }
# --commit: only name the current commit (the GPU machine's copy of .git may lag it).
name_commit() { echo "$(git rev-parse --short=12 HEAD)$(git status --porcelain --untracked-files=no | grep -q . && echo -dirty)" > .device/mtb.commit; }
if [ "${1:-}" = "--commit" ]; then mkdir -p .device; name_commit; cat .device/mtb.commit; exit 0; fi
rm -rf .device && mkdir -p .device/debs
name_commit
git -C third_party/llama.cpp archive --format=tar HEAD ggml src include common tools vendor cmake scripts CMakeLists.txt \
    models/ggml-vocab-qwen2.gguf models/ggml-vocab-llama-bpe.gguf models/ggml-vocab-gemma-4.gguf \
  | gzip -1 > .device/llama.cpp.tar.gz
echo "$LLAMACPP_COMMIT" > .device/llama.cpp.commit
# The report's pinned plotly.js (setup.sh installs it from npm, which the GPU machine cannot reach).
plotly=third_party/npm/node_modules/plotly.js-dist-min/plotly.min.js
[ -f "$plotly" ] && cp "$plotly" .device/
(cd .device/debs && apt-get download -qq nlohmann-json3-dev libcli11-dev libfmt-dev libfmt9 libgtest-dev libcpp-httplib-dev libcpp-httplib0.11 libbrotli-dev libssl-dev zlib1g-dev libxxhash-dev 2>/dev/null \
   || apt-get download nlohmann-json3-dev libcli11-dev libfmt-dev libfmt9 libgtest-dev libcpp-httplib-dev libcpp-httplib0.11 libbrotli-dev libssl-dev zlib1g-dev libxxhash-dev)
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
du -sh .device
