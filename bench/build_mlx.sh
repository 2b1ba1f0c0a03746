#!/usr/bin/env bash
# Builds MLX from a source tree you already have (a clone of github.com/ml-explore/mlx at a release
# tag; nothing is downloaded here) and installs it to a prefix that mtb's CMake takes as MLX_ROOT:
#
#   bench/build_mlx.sh SRC PREFIX [cpu|cuda]
#   MLX_ROOT=PREFIX MTB_BUILD_DIR=build-mlx scripts/setup.sh --tests --torch   # or cmake -DMLX_ROOT=PREFIX
#
# cpu (default): MLX's CPU backend against Debian's OpenBLAS/LAPACKE (apt: libopenblas-dev
# liblapacke-dev). cuda: its CUDA backend as well (nvcc, cuBLAS and cuDNN headers needed).
# MLX fetches nlohmann/json at configure time; it is pointed at the system's headers instead, and fmt
# is the system's (USE_SYSTEM_FMT), so the build needs no network.
set -euo pipefail
SRC=${1:?usage: build_mlx.sh SRC PREFIX [cpu|cuda]}
PREFIX=${2:?usage: build_mlx.sh SRC PREFIX [cpu|cuda]}
KIND=${3:-cpu}
SRC=$(cd "$SRC" && pwd)
BUILD=${MLX_BUILD_DIR:-$SRC/build-$KIND}
json_hdr=$(dirname "$(find /usr/include /usr/local/include /opt/homebrew/include -path '*nlohmann/json.hpp' 2>/dev/null | head -1)")
[ -n "$json_hdr" ] && [ -f "$json_hdr/json.hpp" ] || { echo "build_mlx.sh: nlohmann/json.hpp not found (apt install nlohmann-json3-dev)" >&2; exit 1; }
json_src="$BUILD/system-json"
mkdir -p "$json_src/single_include"
ln -sfn "$json_hdr" "$json_src/single_include/nlohmann"
: > "$json_src/CMakeLists.txt"  # FetchContent needs a project folder; the headers are all MLX uses
args=(-G Ninja -DCMAKE_BUILD_TYPE=Release -DCMAKE_INSTALL_PREFIX="$PREFIX" -DBUILD_SHARED_LIBS=ON
      -DMLX_BUILD_TESTS=OFF -DMLX_BUILD_EXAMPLES=OFF -DMLX_BUILD_BENCHMARKS=OFF -DMLX_BUILD_PYTHON_BINDINGS=OFF
      -DMLX_BUILD_METAL=OFF -DMLX_BUILD_CPU=ON -DMLX_BUILD_GGUF=OFF -DMLX_BUILD_SAFETENSORS=OFF
      -DUSE_SYSTEM_FMT=ON -DFETCHCONTENT_SOURCE_DIR_JSON="$json_src" -DFETCHCONTENT_FULLY_DISCONNECTED=ON)
if [ "$KIND" = cuda ]; then
  args+=(-DMLX_BUILD_CUDA=ON)
  [ -n "${CUDA_ARCHS:-}" ] && args+=(-DMLX_CUDA_ARCHITECTURES="$CUDA_ARCHS")  # else MLX asks nvidia-smi
fi
command -v ccache >/dev/null && args+=(-DCMAKE_C_COMPILER_LAUNCHER=ccache -DCMAKE_CXX_COMPILER_LAUNCHER=ccache)
start=$(date +%s)
cmake -S "$SRC" -B "$BUILD" "${args[@]}"
cmake --build "$BUILD" -j "${MTB_JOBS:-$(getconf _NPROCESSORS_ONLN)}"
cmake --install "$BUILD" >/dev/null
echo "MLX $(git -C "$SRC" describe --tags 2>/dev/null || echo '?') ($KIND) installed to $PREFIX in $(( $(date +%s) - start )) s"
