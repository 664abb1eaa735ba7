// ember_cuda_bench's entry point and the helpers of bench/cuda_bench.h: the L2 flush kernel,
// input rotation, the yardstick times, and the run's context in the JSON (card, driver, CUDA
// runtime, cuBLAS) that bench/ratios.py writes into bench/results/<date>-<card>.md.
#include <cublas_v2.h>

#include <algorithm>
#include <cstdio>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "bench/cuda_bench.h"
#include "kernels/cuda/check.h"
#include "kernels/cuda/launch.h"
#include "kernels/cuda/runtime.h"

namespace ember::bench {
namespace {

// XORs every 16-byte word of the buffer; the result is stored only when it equals a value the
// buffer's pattern cannot give, so the loads stay while nothing is written.
__global__ void read_through_l2(const uint4* buffer, std::size_t words, unsigned* sink) {
  unsigned acc = 0;
  const std::size_t stride = static_cast<std::size_t>(gridDim.x) * blockDim.x;
  for (std::size_t i = static_cast<std::size_t>(blockIdx.x) * blockDim.x + threadIdx.x; i < words;
       i += stride) {
    const uint4 v = buffer[i];
    acc ^= v.x ^ v.y ^ v.z ^ v.w;
  }
  if (acc == 0x9e3779b9u) *sink = acc;
}

struct FlushBuffer {
  uint4* data = nullptr;
  std::size_t words = 0;
  unsigned* sink = nullptr;
  int blocks = 0;
};

const FlushBuffer& flush_buffer() {
  static const FlushBuffer buffer = [] {
    FlushBuffer b;
    const std::size_t bytes = 4 * l2_bytes();
    b.words = bytes / sizeof(uint4);
    b.data = static_cast<uint4*>(cuda::device_malloc(b.words * sizeof(uint4)));
    cuda::device_memset(b.data, 0x5a, b.words * sizeof(uint4));  // XOR of the words: 0
    b.sink = static_cast<unsigned*>(cuda::device_malloc(sizeof(unsigned)));
    b.blocks = 8 * cuda::device_properties().multiprocessor_count;
    return b;
  }();
  return buffer;
}

std::map<std::string, std::vector<double>>& recorded() {
  static std::map<std::string, std::vector<double>> times;
  return times;
}

std::string cuda_version(int v) {  // 13000 -> "13.0"
  return std::to_string(v / 1000) + "." + std::to_string(v % 1000 / 10);
}

std::string cublas_version(int v) {  // 130100 -> "13.1.0"
  return std::to_string(v / 10000) + "." + std::to_string(v % 10000 / 100) + "." +
         std::to_string(v % 100);
}

}  // namespace

std::size_t l2_bytes() {
  int l2 = 0;
  EMBER_CUDA_CHECK(cudaDeviceGetAttribute(&l2, cudaDevAttrL2CacheSize, cuda::current_device()));
  return static_cast<std::size_t>(std::max(l2, 1 << 20));
}

void flush_l2() {
  const FlushBuffer& b = flush_buffer();
  EMBER_LAUNCH(read_through_l2, dim3(b.blocks), dim3(256), 0, nullptr,
               static_cast<const uint4*>(b.data), b.words, b.sink);
}

int rotation_sets(std::size_t set_bytes) {
  const std::size_t budget = cuda::free_memory() / 4;
  if (set_bytes == 0) return 4;
  return static_cast<int>(std::clamp<std::size_t>(budget / set_bytes, 1, 4));
}

double recorded_seconds(const std::string& name) {
  const auto it = recorded().find(name);
  if (it == recorded().end() || it->second.empty()) return 0.0;
  std::vector<double> v = it->second;
  std::nth_element(v.begin(), v.begin() + v.size() / 2, v.end());
  return v[v.size() / 2];
}

void record_seconds(const std::string& name, double seconds) {
  recorded()[name].push_back(seconds);
}

EventPair& events() {
  static EventPair pair{cuda::event_create(), cuda::event_create()};
  return pair;
}

bool device_ready(benchmark::State& state) {
  if (cuda::device_count() > 0) return true;
  state.SkipWithError("no CUDA device visible");
  return false;
}

namespace {

void add_context() {
  const cuda::DeviceProperties p = cuda::device_properties();
  int driver = 0, runtime = 0, cublas = 0;
  EMBER_CUDA_CHECK(cudaDriverGetVersion(&driver));
  EMBER_CUDA_CHECK(cudaRuntimeGetVersion(&runtime));
  cublasHandle_t handle = nullptr;
  if (cublasCreate(&handle) == CUBLAS_STATUS_SUCCESS) {
    cublasGetVersion(handle, &cublas);
    cublasDestroy(handle);
  }
  benchmark::AddCustomContext("device", p.name);
  benchmark::AddCustomContext("compute_capability",
                              std::to_string(p.major) + "." + std::to_string(p.minor));
  benchmark::AddCustomContext("multiprocessors", std::to_string(p.multiprocessor_count));
  benchmark::AddCustomContext("l2_bytes", std::to_string(l2_bytes()));
  benchmark::AddCustomContext("device_memory_bytes", std::to_string(p.total_memory));
  benchmark::AddCustomContext("driver_cuda_version", cuda_version(driver));
  benchmark::AddCustomContext("cuda_runtime", cuda_version(runtime));
  benchmark::AddCustomContext("cublas", cublas_version(cublas));
  benchmark::AddCustomContext("ember_version", EMBER_VERSION);
  benchmark::AddCustomContext("ember_build_type", EMBER_BUILD_TYPE);
  benchmark::AddCustomContext("l2_flush_bytes", std::to_string(4 * l2_bytes()));
}

}  // namespace
}  // namespace ember::bench

int main(int argc, char** argv) {
  bool list_only = false;
  for (int i = 1; i < argc; ++i) {
    list_only |= std::strcmp(argv[i], "--benchmark_list_tests") == 0 ||
                 std::strcmp(argv[i], "--benchmark_list_tests=true") == 0;
  }
  benchmark::Initialize(&argc, argv);
  if (benchmark::ReportUnrecognizedArguments(argc, argv)) return 1;
  if (!list_only) {
    if (ember::cuda::device_count() == 0) {
      std::fprintf(stderr,
                   "ember_cuda_bench: no CUDA device visible (no GPU, no driver, or "
                   "CUDA_VISIBLE_DEVICES hides it); nothing to time\n");
      return 2;
    }
    try {
      ember::bench::add_context();
    } catch (const ember::Error& e) {
      std::fprintf(stderr, "ember_cuda_bench: %s\n", e.what());
      return 2;
    }
  }
  benchmark::RunSpecifiedBenchmarks();
  benchmark::Shutdown();
  return 0;
}
