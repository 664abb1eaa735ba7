# Thin wrapper over the CMake presets. Every target but gpu-check runs the idempotent setup
# first, so `make demo` and `make test` each work as the first command on a fresh Debian machine.
JOBS ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
# ccache (installed by setup) lets the nvcc tree reuse the release tree's host objects: the two
# builds preprocess every .cpp file to the same text. EMBER_CCACHE=0 turns it off. Expanded when
# a recipe runs, after setup installed ccache.
EMBER_CCACHE ?= 1
CCACHE = $(if $(filter 1,$(EMBER_CCACHE)),$(shell command -v ccache 2>/dev/null))
LAUNCHERS = $(if $(CCACHE),-DCMAKE_CXX_COMPILER_LAUNCHER=$(CCACHE) \
  -DCMAKE_CUDA_COMPILER_LAUNCHER=$(CCACHE), \
  -UCMAKE_CXX_COMPILER_LAUNCHER -UCMAKE_CUDA_COMPILER_LAUNCHER)
CONFIGURE = cmake --preset $(1) -DEMBER_WERROR=$(WERROR) $(LAUNCHERS) $(2) $(EMBER_CMAKE_ARGS) \
  >/dev/null
# nvcc for the `nvcc` tree: $(NVCC), else CUDACXX, else /usr/local/cuda/bin/nvcc, else the one
# on PATH (CI's PATH need not hold it).
NVCC ?= $(firstword $(wildcard $(CUDACXX) /usr/local/cuda/bin/nvcc) \
          $(shell command -v nvcc 2>/dev/null))

.PHONY: setup build demo test test-nvcc test-asan bench gpu-check gpu-deps clean

setup:
	@bash scripts/setup.sh

build: setup
	@$(call CONFIGURE,release)
	cmake --build --preset release -j $(JOBS)

demo: build
	./build/release/examples/linear_fit

# Two trees: build/release (the CUDA kernels on the SIMT emulator; every test runs) and
# build/nvcc (the same sources through nvcc for sm_90: everything must compile and link; tests
# labelled gpu are excluded, the rest must pass without a GPU).
test: build
	ctest --preset release -j $(JOBS)
	@$(MAKE) --no-print-directory test-nvcc

test-nvcc: setup
ifeq ($(NVCC),)
ifdef CI
	$(error test-nvcc: no nvcc (looked at NVCC, CUDACXX, /usr/local/cuda/bin/nvcc and PATH))
else
	@echo "test-nvcc: SKIPPED, no nvcc found (NVCC, CUDACXX, /usr/local/cuda/bin/nvcc, PATH)"
endif
else
	@$(call CONFIGURE,nvcc,-DCMAKE_CUDA_COMPILER=$(NVCC))
	cmake --build --preset nvcc -j $(JOBS)
	ctest --preset nvcc -j $(JOBS)
endif

test-asan: setup
	@$(call CONFIGURE,asan)
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

bench: build
	@mkdir -p bench/results
	./build/release/bench/ember_bench --benchmark_out=bench/results/cpu-latest.json \
	  --benchmark_out_format=json $(BENCH_ARGS)
	python3 bench/ratios.py bench/results/cpu-latest.json

# On a machine with an NVIDIA GPU: build for it, gpu-labelled tests, compute-sanitizer
# memcheck and racecheck, CUDA benchmarks, bench/results/<date>-<card>.md. No setup step: a GPU
# machine may have no package manager (scripts/gpu_check.sh takes its dependencies from .deps/).
gpu-check:
	JOBS=$(JOBS) BENCH_ARGS='$(BENCH_ARGS)' bash scripts/gpu_check.sh $(GPU_CHECK_STEPS)

# On this (Debian) machine: copy what a bare GPU machine lacks (GoogleTest's source, Google
# Benchmark, nlohmann-json, CLI11) into third_party_src/, to carry there with the tree.
gpu-deps: setup
	bash scripts/gpu_check.sh pack

clean:
	rm -rf build
