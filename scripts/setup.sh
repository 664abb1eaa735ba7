#!/usr/bin/env bash
# Installs the Debian packages ember builds with, only those missing. Idempotent:
# every `make` target runs it first, so a fresh machine needs no other step.
set -euo pipefail

packages=(
  cmake ninja-build g++ make pkg-config
  ccache                                 # the nvcc tree reuses the release tree's host objects
  libgtest-dev googletest libgmock-dev   # tests
  libbenchmark-dev libopenblas-dev       # bench/ (OpenBLAS is the CPU yardstick only)
  nlohmann-json3-dev libcli11-dev        # tools/ (JSON output, command line)
  libomp-dev zlib1g-dev
  libboost-context-dev                   # fibers for the SIMT emulator (kernels/simt/)
)

missing=()
for p in "${packages[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
[ ${#missing[@]} -eq 0 ] && exit 0

echo "setup: installing ${missing[*]}"
sudo=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: need root or sudo to install: ${missing[*]}" >&2; exit 1; }
  sudo="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$sudo apt-get update -qq
$sudo apt-get install -y -qq --no-install-recommends "${missing[@]}"
