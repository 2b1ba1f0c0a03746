#!/usr/bin/env bash
# Prepares .device/mlx-cuda/ (git-ignored) for a GPU machine that reaches no network: MLX's sources
# at a release tag and every source its CMake would download for the CUDA backend (FetchContent:
# json, fmt, CCCL, NVTX, cudnn-frontend, CUTLASS), each a tarball of the tag MLX pins, read from
# local git mirrors (nothing is downloaded here), plus manifest.txt, which bench/mlx-cuda.sh reads to
# point FETCHCONTENT_SOURCE_DIR_<NAME> at each. The pins are read from MLX's CMake files at MLX_TAG.
# Not packed: gguflib (MLX_BUILD_GGUF=OFF), doctest (tests off), nanobind (no Python bindings),
# metal-cpp, dlfcn-win32 and OpenBLAS (macOS / Windows only).
#
#   bench/pack-mlx-cuda.sh      (after bench/pack-device.sh, which empties .device/; then carry .device)
#
# Mirrors (bare git dirs): MIRROR (default /work/.mirror) holds <owner>+<repo>/repo, or set MLX_GIT,
# JSON_GIT, FMT_GIT, CCCL_GIT, NVTX_GIT, CUDNN_GIT, CUTLASS_GIT. MLX_TAG (default v0.32.1). A pin
# missing from its mirror stops the script, unless <NAME>_REF names the ref to pack instead (NVTX:
# the mirror has no v3.1.1, so its default is `dev`, the 2024-10 tip: MLX uses only the nvtx3-cpp
# target and nvtx3::scoped_range, present since v3.1.0); the manifest records what was packed.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
M=${MIRROR:-/work/.mirror}
MLX_GIT=${MLX_GIT:-$M/ml-explore+mlx/repo}
MLX_TAG=${MLX_TAG:-v0.32.1}
DEST=.device/mlx-cuda
TMP=$(mktemp -d); trap 'rm -rf "$TMP"' EXIT
rm -rf "$DEST" && mkdir -p "$DEST"
cmake_file() { git -C "$MLX_GIT" show "$MLX_TAG:$1"; }
# The GIT_TAG after the line naming REPO, or the release in a .../REPO/releases/download/TAG/ URL.
pin() { cmake_file "$1" | awk -v r="$2" 'index($0, r) {f = 1; if (match($0, r "/releases/download/[^/]+")) {
          n = split(substr($0, RSTART, RLENGTH), a, "/"); print a[n]; exit } } f && /GIT_TAG/ {print $2; exit}'; }

# pack NAME GITDIR PIN [PATH...]: NAME.tar.gz holding NAME/PATH... (the whole tree when none) at the pin.
pack() {
  local name=$1 git=$2 tag=$3; shift 3
  local var; var=$(echo "$name" | tr a-z A-Z)_REF
  local ref=${!var:-$tag}
  [ -n "$tag" ] || { echo "pack-mlx-cuda.sh: no pin for $name in MLX $MLX_TAG" >&2; exit 1; }
  local commit; commit=$(git -C "$git" rev-parse --verify -q "$ref^{commit}") \
    || { echo "pack-mlx-cuda.sh: $name: $ref not in $git (set $var to a ref it has)" >&2; exit 1; }
  rm -rf "${TMP:?}/$name" && mkdir -p "$TMP/$name"
  # Each path on its own (COMMIT:PATH), so git reads no blob outside it: the mirrors lack some
  # large ones (CUTLASS's images), which a whole-tree archive with a pathspec reports as errors.
  [ $# -gt 0 ] || set -- ""  # the whole tree
  local p
  for p in "$@"; do
    if [ "$(git -C "$git" cat-file -t "$commit:$p")" = tree ]; then
      git -C "$git" archive --format=tar --prefix="${p:+$p/}" "$commit:$p" | tar -x -C "$TMP/$name"
    else git -C "$git" show "$commit:$p" > "$TMP/$name/$p"; fi
  done
  # CCCL as its release zip lays it out (include/{cuda,nv,cub,thrust}; no CMakeLists.txt, so
  # FetchContent only unpacks it and MLX reads <dir>/include).
  if [ "$name" = cccl ]; then
    mv "$TMP/cccl/libcudacxx/include" "$TMP/cccl/include"
    mv "$TMP/cccl/cub/cub" "$TMP/cccl/thrust/thrust" "$TMP/cccl/include/"
    rm -rf "$TMP/cccl/libcudacxx" "$TMP/cccl/cub" "$TMP/cccl/thrust"
  fi
  local file=$name.tar.gz
  tar -C "$TMP" -czf "$DEST/$file" "$name"
  printf '%-8s %-10s %-10s %s %9s %s\n' "$name" "$tag" "$ref" "$commit" "$(stat -c %s "$DEST/$file")" "$file" >> "$DEST/manifest.txt"
}

echo "# name   pin        packed     commit                                       bytes file" > "$DEST/manifest.txt"
cuda=mlx/backend/cuda/CMakeLists.txt
pack mlx     "$MLX_GIT"                                        "$MLX_TAG"
pack json    "${JSON_GIT:-$M/nlohmann+json/repo}"              "$(pin CMakeLists.txt nlohmann/json)" \
             CMakeLists.txt cmake include single_include LICENSE.MIT nlohmann_json.natvis
pack fmt     "${FMT_GIT:-$M/fmtlib+fmt/repo}"                  "$(pin CMakeLists.txt fmtlib/fmt)"
pack cccl    "${CCCL_GIT:-$M/NVIDIA+cccl/repo}"                "$(pin $cuda NVIDIA/cccl)" \
             libcudacxx/include cub/cub thrust/thrust LICENSE
NVTX_GIT=${NVTX_GIT:-$M/NVIDIA+NVTX/repo}
git -C "$NVTX_GIT" rev-parse -q --verify "$(pin $cuda NVIDIA/NVTX)^{commit}" >/dev/null || : "${NVTX3_REF:=dev}"
pack nvtx3   "$NVTX_GIT"                                       "$(pin $cuda NVIDIA/NVTX)" c LICENSE.txt
pack cudnn   "${CUDNN_GIT:-$M/NVIDIA+cudnn-frontend/repo}"     "$(pin $cuda NVIDIA/cudnn-frontend)" \
             CMakeLists.txt cmake cudnn_frontend-config.cmake.in include LICENSE.txt
# Header-only CUTLASS (SOURCE_SUBDIR include): its include/ alone, 2 of the repository's 27 MiB.
pack cutlass "${CUTLASS_GIT:-$M/NVIDIA+cutlass/repo}"          "$(pin $cuda NVIDIA/cutlass)" include LICENSE.txt
grep -qx '/.device/' .git/info/exclude 2>/dev/null || echo '/.device/' >> .git/info/exclude
cat "$DEST/manifest.txt"
du -sh "$DEST"
