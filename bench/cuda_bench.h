// What the CUDA benchmarks (bench/cuda_*.cu) share: device time on CUDA events around one call,
// an L2 flush before every timed call, input sets rotated when memory allows, and the pairing
// of each ember benchmark with its yardstick so the ratio is reported in the same run.
//
// Timing. Each iteration: flush L2, record a start event, make the call, record a stop event,
// wait for it, and hand Google Benchmark the event time (UseManualTime). The flush is a kernel
// that reads a buffer of four times the L2 size, so the call starts with a cold cache holding
// only clean lines: flushing by writing would leave the L2 full of dirty lines whose write-back
// the timed call would pay. The flush also keeps the GPU busy while the host prepares the call,
// so the time is the device's, without the host-side launch cost in front of it.
//
// Yardsticks. A benchmark <op>/<impl>/<n> is compared with the other <op>/<yardstick>/<n>
// registered just before it (cuBLAS for GEMMs, a device-to-device copy of the same bytes for
// memory-bound ops). When both run in one process, the ember run gets the counter
// vs_<yardstick> = yardstick time / ember time (above 1: ember is faster; against the copy: the
// fraction of copy bandwidth reached). bench/ratios.py derives the same ratio from the JSON.
#pragma once
#include <benchmark/benchmark.h>

#include <cstddef>
#include <cstdint>
#include <string>

#include "kernels/cuda/device_api.h"
#include "kernels/error.h"

namespace ember::bench {

// The device's L2 in bytes (cudaDeviceProp::l2CacheSize).
std::size_t l2_bytes();
// Reads the flush buffer through L2 (an asynchronous launch on the default stream).
void flush_l2();

// How many input sets of `set_bytes` to rotate through: up to 4, as long as they take at most a
// quarter of the free device memory (at least 1).
int rotation_sets(std::size_t set_bytes);

// Median of the mean times (seconds) recorded under `name` in this process: the yardstick
// partner of a later benchmark. 0 when none was recorded.
double recorded_seconds(const std::string& name);
void record_seconds(const std::string& name, double seconds);

// Events reused by every benchmark.
struct EventPair {
  cuda::Event start = nullptr, stop = nullptr;
};
EventPair& events();

// True when the benchmark can run; otherwise marks it skipped with the reason.
bool device_ready(benchmark::State& state);

// Times call(i) (i = 0, 1, ...: the iteration, for rotating inputs) once per iteration as
// described above, after `warmup` untimed calls. Records the mean time under `name` and, when
// `yardstick` names a benchmark recorded earlier in this process, sets the counter
// "vs_<label>". An ember::Error from the call (an op not implemented on cuda yet, say) marks the
// benchmark skipped with its message.
template <typename Call>
void time_on_device(benchmark::State& state, const std::string& name, Call&& call,
                    const std::string& yardstick = {}, const std::string& label = {},
                    int warmup = 3) {
  if (!device_ready(state)) return;
  try {
    flush_l2();  // the first call allocates the flush buffer
    for (int i = 0; i < warmup; ++i) call(i);
    cuda::device_synchronize();
    const EventPair& ev = events();
    double total = 0.0;
    int64_t i = 0;
    for (auto _ : state) {
      flush_l2();
      cuda::event_record(ev.start);
      call(i++);
      cuda::event_record(ev.stop);
      cuda::event_synchronize(ev.stop);
      const double seconds = cuda::event_elapsed_ms(ev.start, ev.stop) * 1e-3;
      state.SetIterationTime(seconds);
      total += seconds;
    }
    if (i == 0) return;
    const double mean = total / static_cast<double>(i);
    record_seconds(name, mean);
    const double theirs = yardstick.empty() ? 0.0 : recorded_seconds(yardstick);
    if (theirs > 0.0) state.counters["vs_" + label] = theirs / mean;
  } catch (const Error& e) {
    state.SkipWithError(e.what());
  }
}

}  // namespace ember::bench
