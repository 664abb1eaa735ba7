#!/usr/bin/env bash
# make gpu-check: everything that needs a real NVIDIA GPU, in one command. Builds the `gpu`
# preset (nvcc, CMAKE_CUDA_ARCHITECTURES=native: the card of this machine) in build/gpu, runs the
# tests labelled gpu, runs them again under compute-sanitizer memcheck and racecheck with the
# caching allocator off (EMBER_CUDA_CACHING=0), runs ember_cuda_bench and writes
# bench/results/<date>-<card>.md and .json. Exits non-zero when any step fails, 2 when there is
# no GPU. docs/internals/cuda.md ("Building for a GPU") says more.
#
#   scripts/gpu_check.sh [step...]   steps: build test memcheck racecheck bench (default: all)
#   scripts/gpu_check.sh pack        on a Debian dev machine: copy the build dependencies a bare
#                                    GPU machine lacks into third_party_src/ (git-ignored)
#
# Environment: JOBS (build and ctest jobs, default nproc), EMBER_CUDA_ARCH (default native;
# 90a for wgmma), NVCC, EMBER_CMAKE_ARGS (more configure flags), BENCH_ARGS (more
# ember_cuda_bench flags, e.g. --benchmark_filter=gemm), EMBER_COMMIT (the commit to report when
# this tree is not a git checkout), EMBER_GPU_CHECK_OUT (a folder that also receives the report,
# the JSON and the log).
set -uo pipefail
cd "$(dirname "$0")/.." || exit 1
root=$(pwd)
build=build/gpu
deps=third_party_src
logdir=$build/gpu-check
JOBS=${JOBS:-$(nproc)}
EMBER_CUDA_ARCH=${EMBER_CUDA_ARCH:-native}
BENCH_ARGS=${BENCH_ARGS:-}
all_steps=(build test memcheck racecheck bench)

die() {
  echo "gpu-check: $*" >&2
  exit 1
}

# --- pack: runs where the Debian packages are installed (scripts/setup.sh), not on the GPU box.
if [ "${1:-}" = "pack" ]; then
  rm -rf "$deps/googletest" "$deps/prebuilt"
  mkdir -p "$deps/prebuilt/include" "$deps/prebuilt/lib/x86_64-linux-gnu/cmake" \
    "$deps/prebuilt/share/cmake"
  [ -d /usr/src/googletest ] || die "pack: /usr/src/googletest missing (apt install googletest)"
  cp -a /usr/src/googletest "$deps/googletest"
  cp -a /usr/include/benchmark /usr/include/nlohmann /usr/include/CLI "$deps/prebuilt/include/"
  cp -a /usr/lib/x86_64-linux-gnu/cmake/benchmark "$deps/prebuilt/lib/x86_64-linux-gnu/cmake/"
  cp -a /usr/lib/x86_64-linux-gnu/libbenchmark.so* /usr/lib/x86_64-linux-gnu/libbenchmark_main.a \
    "$deps/prebuilt/lib/x86_64-linux-gnu/"
  cp -a /usr/share/cmake/nlohmann_json /usr/share/cmake/CLI11 "$deps/prebuilt/share/cmake/"
  echo "gpu-check: packed $(du -sh "$deps" | cut -f1) into $deps/ (googletest source; Google" \
    "Benchmark, nlohmann-json and CLI11 headers, libraries and CMake files)"
  exit 0
fi

steps=("$@")
[ ${#steps[@]} -eq 0 ] && steps=("${all_steps[@]}")
for s in "${steps[@]}"; do
  [[ " ${all_steps[*]} " == *" $s "* ]] || die "unknown step '$s' (steps: ${all_steps[*]} | pack)"
done

find_tool() {  # the first of PATH and the given folders that holds $1
  local name=$1
  shift
  command -v "$name" 2>/dev/null && return 0
  for dir in "$@"; do
    [ -x "$dir/$name" ] && echo "$dir/$name" && return 0
  done
  return 1
}

# --- is there a GPU? The CUDA runtime must see one (CUDA_VISIBLE_DEVICES can hide it from
# ember while nvidia-smi still lists it): __nvcc_device_query, nvcc's helper for
# -arch=native, prints the visible devices' architectures and fails when there are none.
NVCC=${NVCC:-${CUDACXX:-$(find_tool nvcc /usr/local/cuda/bin)}} ||
  die "no nvcc (set NVCC, or install the CUDA toolkit at /usr/local/cuda)"
cuda_bin=$(dirname "$NVCC")
smi=$(find_tool nvidia-smi /usr/local/nvidia/bin /usr/bin) || smi=""
card=""
[ -n "$smi" ] && card=$("$smi" --query-gpu=name --format=csv,noheader 2>/dev/null | head -n1)
if [ -x "$cuda_bin/__nvcc_device_query" ]; then
  visible=$("$cuda_bin/__nvcc_device_query" 2>/dev/null) || visible=""
else
  visible=$card
fi
if [ -z "$visible" ]; then
  cat >&2 <<EOF
gpu-check: NO GPU. The CUDA runtime sees no NVIDIA GPU on this machine.
  nvidia-smi lists: ${card:-none}
  CUDA_VISIBLE_DEVICES: ${CUDA_VISIBLE_DEVICES-unset}
gpu-check runs the gpu-labelled tests, compute-sanitizer and the CUDA benchmarks on a real card.
Without one, \`make test\` builds the nvcc tree (build/nvcc) and runs all that needs no GPU.
EOF
  exit 2
fi
[ -n "$card" ] || card="unknown NVIDIA GPU"
driver=$([ -n "$smi" ] && "$smi" --query-gpu=driver_version --format=csv,noheader | head -n1)
nvcc_version=$("$NVCC" --version | sed -n 's/.*release \([0-9.]*\).*/\1/p')
commit=$(git rev-parse --short HEAD 2>/dev/null) &&
  { git diff --quiet HEAD 2>/dev/null || commit="$commit (with uncommitted changes)"; } ||
  commit=${EMBER_COMMIT:-"unknown (not a git checkout; set EMBER_COMMIT)"}
mkdir -p "$logdir"
log=$logdir/gpu-check.log
: >"$log"
echo "gpu-check: $card, driver ${driver:-?}, nvcc $nvcc_version, commit $commit" | tee -a "$log"

declare -A result
failed=0
start_all=$SECONDS
index=0

declare -A what=(
  [build]="configure the gpu preset (CMAKE_CUDA_ARCHITECTURES=$EMBER_CUDA_ARCH), build $build"
  [test]="ctest --preset gpu: the tests labelled gpu"
  [memcheck]="compute-sanitizer --tool memcheck, EMBER_CUDA_CACHING=0: ember_cuda_tests"
  [racecheck]="compute-sanitizer --tool racecheck, EMBER_CUDA_CACHING=0: ember_cuda_tests"
  [bench]="$build/bench/ember_cuda_bench, then bench/ratios.py into bench/results/"
)

# run_step NAME: progress line, output to the console and the logs, pass/fail kept.
run_step() {
  local name=$1
  index=$((index + 1))
  local t0=$SECONDS
  echo "==> gpu-check [$index/${#steps[@]}] $name: ${what[$name]}" | tee -a "$log"
  "step_$name" 2>&1 | tee -a "$log" "$logdir/$name.log"
  local rc=${PIPESTATUS[0]}
  local took=$((SECONDS - t0))
  if [ "$rc" -eq 0 ]; then
    result[$name]="passed (${took}s)"
  else
    result[$name]="FAILED (exit $rc, ${took}s; log: $logdir/$name.log)"
    failed=1
  fi
  echo "==> gpu-check [$index/${#steps[@]}] $name: ${result[$name]}" | tee -a "$log"
  return "$rc"
}

step_build() {
  local prefix=()
  if [ -d "$deps/googletest" ] && [ ! -f "$deps/prebuilt/lib/cmake/GTest/GTestConfig.cmake" ]; then
    echo "building GoogleTest from $deps/googletest"
    cmake -S "$deps/googletest" -B build/googletest -G Ninja -DCMAKE_BUILD_TYPE=Release \
      -DBUILD_GMOCK=OFF -DCMAKE_POLICY_VERSION_MINIMUM=3.5 \
      -DCMAKE_INSTALL_PREFIX="$root/$deps/prebuilt" -DCMAKE_INSTALL_LIBDIR=lib >/dev/null &&
      cmake --build build/googletest -j "$JOBS" >/dev/null &&
      cmake --install build/googletest >/dev/null || return 1
  fi
  [ -d "$deps/prebuilt" ] && prefix=(-DCMAKE_PREFIX_PATH="$root/$deps/prebuilt") &&
    echo "dependencies from $deps/prebuilt (scripts/gpu_check.sh pack)"
  # shellcheck disable=SC2086  # EMBER_CMAKE_ARGS is a list of flags
  cmake --preset gpu -DCMAKE_CUDA_COMPILER="$NVCC" -DCMAKE_CUDA_ARCHITECTURES="$EMBER_CUDA_ARCH" \
    "${prefix[@]}" ${EMBER_CMAKE_ARGS:-} || return 1
  cmake --build --preset gpu -j "$JOBS"
}

# ember must see the card itself (every CUDA test skips, and so passes, without a device).
step_test() {
  local info
  info=$("$build/tools/ember" info) || return 1
  echo "$info" | grep "cuda"
  if echo "$info" | grep -q "cuda: no device"; then
    echo "ember sees no cuda device: every test would skip"
    return 1
  fi
  ctest --preset gpu -j "$((JOBS < 8 ? JOBS : 8))"
}

# The sanitizers run the CUDA test executable once, every test in one process, minus the
# allocator's own tests (they check caching and the setting of EMBER_CUDA_CACHING, and one
# provokes an out-of-memory failure on purpose). API errors are ember's to report, not the tool's.
sanitize() {
  local sanitizer
  sanitizer=$(find_tool compute-sanitizer "$cuda_bin" /usr/local/cuda/compute-sanitizer \
    /opt/nvidia/compute-sanitizer) || { echo "no compute-sanitizer found"; return 1; }
  EMBER_CUDA_CACHING=0 EMBER_DEBUG_POISON=1 "$sanitizer" --tool "$1" --error-exitcode 1 \
    --report-api-errors no "$build/tests/ember_cuda_tests" --gtest_brief=1 \
    --gtest_filter='-CudaAllocator.*:CudaAllocatorChild.*'
}
step_memcheck() { sanitize memcheck; }
step_racecheck() { sanitize racecheck; }

step_bench() {
  local date slug json md
  date=$(date +%F)
  slug=$(echo "$card" | tr '[:upper:]' '[:lower:]' | sed -e 's/nvidia//' -e 's/[^a-z0-9]\+/-/g' \
    -e 's/^-//' -e 's/-$//')
  json=bench/results/$date-$slug.json
  md=bench/results/$date-$slug.md
  mkdir -p bench/results
  local flags="--benchmark_repetitions=3 --benchmark_min_time=0.1 $BENCH_ARGS"
  # shellcheck disable=SC2086  # flags is a list
  "$build/bench/ember_cuda_bench" --benchmark_report_aggregates_only=true \
    --benchmark_out="$json" --benchmark_out_format=json $flags
  local rc=$?
  [ -f "$json" ] || return 1
  python3 bench/ratios.py "$json" --strict --markdown "$md" \
    --title "CUDA benchmarks, $date, $card" \
    --meta "driver: ${driver:-unknown} (nvidia-smi)" \
    --meta "CUDA: nvcc $nvcc_version, built for CMAKE_CUDA_ARCHITECTURES=$EMBER_CUDA_ARCH" \
    --meta "commit: $commit" \
    --meta "command: make gpu-check, which runs \`ember_cuda_bench ${flags% }\`" \
    --meta "raw results: [$date-$slug.json]($date-$slug.json)" \
    --meta "timing: CUDA events around each call, L2 flushed before it (bench/cuda_bench.h)" ||
    rc=1
  if [ -n "${EMBER_GPU_CHECK_OUT:-}" ] && [ -f "$md" ]; then
    mkdir -p "$EMBER_GPU_CHECK_OUT" && cp "$json" "$md" "$EMBER_GPU_CHECK_OUT/"
  fi
  return $rc
}

for s in "${steps[@]}"; do
  if [ "$s" != build ] && [ ! -x "$build/tests/ember_cuda_tests" ]; then
    result[$s]="FAILED (nothing built: run the build step first)"
    failed=1
    continue
  fi
  run_step "$s"
  [ "$s" = build ] && [ "$failed" -ne 0 ] && break
done

echo "==> gpu-check summary ($((SECONDS - start_all))s): $card, commit $commit" | tee -a "$log"
for s in "${steps[@]}"; do
  printf '    %-10s %s\n' "$s" "${result[$s]:-not run (the build failed)}" | tee -a "$log"
done
if [ -n "${EMBER_GPU_CHECK_OUT:-}" ]; then
  mkdir -p "$EMBER_GPU_CHECK_OUT" && cp "$log" "$EMBER_GPU_CHECK_OUT/"
fi
if [ "$failed" -ne 0 ]; then
  echo "gpu-check: FAILED" | tee -a "$log" >&2
  exit 1
fi
echo "gpu-check: all steps passed" | tee -a "$log"
