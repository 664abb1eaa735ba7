# Thin wrapper over the CMake presets. Every target runs the idempotent setup first, so
# `make demo` and `make test` each work as the first command on a fresh Debian machine.
JOBS ?= $(shell nproc)
WERROR := $(if $(CI),ON,OFF)
CONFIGURE = cmake --preset $(1) -DEMBER_WERROR=$(WERROR) $(EMBER_CMAKE_ARGS) >/dev/null

.PHONY: setup build demo test test-asan bench clean

setup:
	@bash scripts/setup.sh

build: setup
	@$(call CONFIGURE,release)
	cmake --build --preset release -j $(JOBS)

demo: build
	./build/release/examples/linear_fit

test: build
	ctest --preset release -j $(JOBS)

test-asan: setup
	@$(call CONFIGURE,asan)
	cmake --build --preset asan -j $(JOBS)
	ctest --preset asan -j $(JOBS)

bench: build
	@mkdir -p bench/results
	./build/release/bench/ember_bench --benchmark_out=bench/results/cpu-latest.json \
	  --benchmark_out_format=json $(BENCH_ARGS)
	python3 bench/ratios.py bench/results/cpu-latest.json

clean:
	rm -rf build
