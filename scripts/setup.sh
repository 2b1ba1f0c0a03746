#!/usr/bin/env bash
# Installs what mtb needs, fetches the pinned llama.cpp and builds build/mtb.
# Idempotent: a second run only checks and rebuilds what changed (ccache + ninja).
#
#   scripts/setup.sh              packages, llama.cpp, build mtb + llama-bench + llama-server
#   scripts/setup.sh --tests      same, plus the test binaries, chromium and playwright-core
#                                 (the report's browser test; used by scripts/test.sh)
#   scripts/setup.sh --no-bench   skip llama-bench (only needed by bench/parity.sh)
#   scripts/setup.sh --no-server  skip llama-server (only needed by mtb llm --spawn-llama-server)
#   scripts/setup.sh --torch      also install libtorch (Debian's libtorch-dev, ~1 GB) and build the
#                                 torch backend (scripts/test.sh, hence CI, always passes it)
#
# Environment: MTB_BUILD_DIR (default build), MTB_CUDA=ON|OFF (default: ON when nvcc and a GPU are found),
# CUDA_ARCHS (default native), MTB_TORCH=ON|OFF|AUTO, MTB_JOBS (default: all cores).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=pins.env
source scripts/pins.env

BUILD_DIR=${MTB_BUILD_DIR:-build}
WITH_TESTS=OFF
WITH_BENCH=1
WITH_SERVER=1
WITH_TORCH=0
for arg in "$@"; do
  case "$arg" in
    --tests) WITH_TESTS=ON ;;
    --no-bench) WITH_BENCH=0 ;;
    --no-server) WITH_SERVER=0 ;;
    --torch) WITH_TORCH=1 ;;
    -h|--help) sed -n '2,15p' "$0"; exit 0 ;;
    *) echo "setup.sh: unknown option '$arg' (see --help)" >&2; exit 2 ;;
  esac
done

say() { printf '\033[1m[setup]\033[0m %s\n' "$*"; }
die() { printf '[setup] error: %s\n' "$*" >&2; exit 1; }

as_root() { if [ "$(id -u)" = 0 ]; then "$@"; else sudo "$@"; fi; }

# CMake prefix of a pip-installed torch, or nothing.
pip_torch_prefix() { python3 -c 'import torch; print(torch.utils.cmake_prefix_path)' 2>/dev/null || true; }

install_packages() {
  case "$(uname -s)" in
    Linux)
      local pkgs=(build-essential cmake ninja-build ccache git nodejs npm openssl pkg-config
                  nlohmann-json3-dev libcli11-dev libfmt-dev libgtest-dev libcpp-httplib-dev libcurl4-openssl-dev libxxhash-dev)
      # libtorch is large: only when the torch backend is asked for, and not where pip torch is
      # installed (the GPU machines: its CUDA build is preferred, see configure_and_build).
      # libopenblas0-pthread: Debian links libtorch against the netlib reference BLAS by default (~40x slower GEMM).
      if [ "$WITH_TORCH" = 1 ] && [ -z "$(pip_torch_prefix)" ]; then pkgs+=(libtorch-dev libopenblas0-pthread); fi
      # libFuzzer (scripts/fuzz.sh), and a real single-node cluster for the Slurm e2e test.
      if [ "$WITH_TESTS" = ON ]; then pkgs+=(clang libclang-rt-14-dev slurm-wlm munge); fi
      local missing=()
      for p in "${pkgs[@]}"; do dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p"); done
      # node/npm may come from elsewhere (nvm, the image): accept any working npm.
      if command -v npm >/dev/null 2>&1; then
        local keep=(); for p in "${missing[@]}"; do [[ $p == nodejs || $p == npm ]] || keep+=("$p"); done
        missing=("${keep[@]+"${keep[@]}"}")
      fi
      if [ ${#missing[@]} -gt 0 ]; then
        say "installing Debian packages: ${missing[*]}"
        as_root apt-get update -qq
        DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq "${missing[@]}" >/dev/null
      fi ;;
    Darwin)
      command -v brew >/dev/null || die "Homebrew is required on macOS (https://brew.sh)"
      local pkgs=(cmake ninja ccache node nlohmann-json cli11 fmt googletest cpp-httplib openssl curl xxhash)
      if [ "$WITH_TORCH" = 1 ]; then pkgs+=(pytorch); fi
      local missing=()
      for p in "${pkgs[@]}"; do brew list --versions "$p" >/dev/null 2>&1 || missing+=("$p"); done
      [ ${#missing[@]} -eq 0 ] || { say "brew install ${missing[*]}"; brew install "${missing[@]}"; } ;;
    *) die "unsupported OS $(uname -s)" ;;
  esac
}

# llama.cpp comes from the npm package node-llama-cpp, checked against the registry's integrity hash.
fetch_llamacpp() {
  local dest=third_party/llama.cpp
  if [ -d "$dest/.git" ] && [ "$(git -C "$dest" rev-parse HEAD 2>/dev/null)" = "$LLAMACPP_COMMIT" ]; then
    return
  fi
  local cache=.cache/npm tgz
  mkdir -p "$cache"
  tgz="$cache/node-llama-cpp-$NODE_LLAMA_CPP_VERSION.tgz"
  if [ ! -f "$tgz" ]; then
    say "npm pack node-llama-cpp@$NODE_LLAMA_CPP_VERSION"
    (cd "$cache" && npm pack --silent "node-llama-cpp@$NODE_LLAMA_CPP_VERSION" >/dev/null)
  fi
  local got
  got="sha512-$(openssl dgst -sha512 -binary "$tgz" | openssl base64 -A)"
  if [ "$got" != "$NODE_LLAMA_CPP_INTEGRITY" ]; then
    rm -f "$tgz"
    die "node-llama-cpp tarball integrity mismatch: got $got, pinned $NODE_LLAMA_CPP_INTEGRITY"
  fi
  local tmp; tmp=$(mktemp -d)
  tar -xzf "$tgz" -C "$tmp" package/llama/gitRelease.bundle
  rm -rf "$dest"; mkdir -p third_party
  say "cloning llama.cpp from the bundle"
  git clone -q --no-checkout "$tmp/package/llama/gitRelease.bundle" "$dest"
  git -C "$dest" -c advice.detachedHead=false checkout -q "$LLAMACPP_COMMIT" \
    || die "llama.cpp bundle does not contain commit $LLAMACPP_COMMIT"
  rm -rf "$tmp"
  [ "$(git -C "$dest" rev-parse HEAD)" = "$LLAMACPP_COMMIT" ] || die "llama.cpp is not at $LLAMACPP_COMMIT"
}

# npm assets into third_party/npm: plotly.js for `mtb report`, and with --tests playwright-core, which
# drives the system chromium in the report's browser test. Skipped when the pinned versions are there.
npm_installed_version() {
  local f="third_party/npm/node_modules/$1/package.json"
  [ -f "$f" ] && node -p "require('./$f').version" 2>/dev/null || true
}

fetch_npm_assets() {
  local want=("plotly.js-dist-min@$PLOTLY_JS_VERSION")
  [ "$WITH_TESTS" = ON ] && want+=("playwright-core@$PLAYWRIGHT_CORE_VERSION"
                                   "kubernetes-models@$KUBERNETES_MODELS_VERSION" "yaml@$YAML_VERSION")
  local missing=()
  for spec in "${want[@]}"; do
    [ "$(npm_installed_version "${spec%@*}")" = "${spec##*@}" ] || missing+=("$spec")
  done
  [ ${#missing[@]} -eq 0 ] && return
  say "npm install ${missing[*]} (into third_party/npm)"
  mkdir -p third_party/npm
  [ -f third_party/npm/package.json ] || echo '{"private": true}' > third_party/npm/package.json
  # PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD: the test uses the system chromium, never a downloaded one.
  PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm install --silent --no-audit --no-fund --save-exact \
    --prefix third_party/npm "${missing[@]}" >/dev/null || die "npm install ${missing[*]} failed"
}

# The report's browser test loads the generated pages in Debian's chromium (skipped where absent).
install_test_browser() {
  [ "$WITH_TESTS" = ON ] && [ "$(uname -s)" = Linux ] || return 0
  command -v chromium >/dev/null 2>&1 && return
  say "installing chromium (the report test's headless browser)"
  as_root apt-get update -qq
  DEBIAN_FRONTEND=noninteractive as_root apt-get install -y -qq chromium >/dev/null
}

configure_and_build() {
  local cuda=${MTB_CUDA:-}
  if [ -z "$cuda" ]; then
    # CUDA needs both a compiler and a GPU: a CPU box with the toolkit installed builds CPU-only
    # (ggml-cuda takes long on few cores and its tests would only skip).
    cuda=OFF
    if { command -v nvcc >/dev/null 2>&1 || [ -x /usr/local/cuda/bin/nvcc ]; } && nvidia-smi -L 2>/dev/null | grep -q GPU; then
      cuda=ON
    fi
  fi
  local args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DMTB_BUILD_TESTS=$WITH_TESTS -DMTB_CUDA=$cuda
              -DMTB_TORCH=${MTB_TORCH:-$([ "$WITH_TORCH" = 1 ] && echo ON || echo AUTO)})
  local torch_prefix; torch_prefix=$(pip_torch_prefix)
  [ -n "$torch_prefix" ] && args+=(-DCMAKE_PREFIX_PATH="$torch_prefix")
  if command -v ccache >/dev/null 2>&1; then
    # Paths under the checkout hash as relative ones: another clone (CI's) reuses this cache.
    export CCACHE_BASEDIR="$ROOT"
    args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
    [ "$cuda" = ON ] && args+=(-DCMAKE_CUDA_COMPILER_LAUNCHER=ccache)
  fi
  if [ "$cuda" = ON ]; then
    [ -x /usr/local/cuda/bin/nvcc ] && ! command -v nvcc >/dev/null && export PATH=/usr/local/cuda/bin:$PATH
    args+=(-DCMAKE_CUDA_ARCHITECTURES="${CUDA_ARCHS:-native}")
  fi
  say "configuring $BUILD_DIR (cuda=$cuda, tests=$WITH_TESTS)"
  mkdir -p "$BUILD_DIR"
  cmake -S . -B "$BUILD_DIR" "${args[@]}" >"$BUILD_DIR/configure.log" 2>&1 \
    || { cat "$BUILD_DIR/configure.log" >&2; die "cmake configure failed (log above)"; }
  local targets=(mtb)
  [ "$WITH_TESTS" = ON ] && targets+=(mtb_tests)
  [ "$WITH_BENCH" = 1 ] && targets+=(llama-bench)
  [ "$WITH_SERVER" = 1 ] && targets+=(llama-server)
  say "building ${targets[*]} (first build compiles llama.cpp: several minutes on 2 cores)"
  cmake --build "$BUILD_DIR" --target "${targets[@]}" -j "${MTB_JOBS:-$(getconf _NPROCESSORS_ONLN)}"
  say "built $BUILD_DIR/mtb"
}

install_packages
fetch_llamacpp
fetch_npm_assets
install_test_browser
configure_and_build
