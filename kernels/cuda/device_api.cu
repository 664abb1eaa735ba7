// The portability API (device_api.h) written once against the CUDA runtime: nvcc links the
// real one, the emulator build its own (kernels/simt/runtime_api.h).
#include "kernels/cuda/check.h"
#include "kernels/cuda/device_api.h"

namespace ember::cuda {

bool is_emulated() {
#if defined(__CUDACC__)
  return false;
#else
  return true;
#endif
}

int device_count() {
  int n = 0;
  if (cudaGetDeviceCount(&n) != cudaSuccess) {
    (void)cudaGetLastError();
    return 0;
  }
  return n;
}

DeviceProperties device_properties(int device) {
  cudaDeviceProp p;
  EMBER_CUDA_CHECK(cudaGetDeviceProperties(&p, device));
  DeviceProperties d;
  d.name = p.name;
  d.major = p.major;
  d.minor = p.minor;
  d.total_memory = p.totalGlobalMem;
  d.shared_memory_per_block = p.sharedMemPerBlock;
  d.shared_memory_per_block_optin = p.sharedMemPerBlockOptin;
  d.multiprocessor_count = p.multiProcessorCount;
  d.max_threads_per_block = p.maxThreadsPerBlock;
  d.warp_size = p.warpSize;
  d.emulated = is_emulated();
  return d;
}

void set_device(int device) { EMBER_CUDA_CHECK(cudaSetDevice(device)); }

int current_device() {
  int d = 0;
  EMBER_CUDA_CHECK(cudaGetDevice(&d));
  return d;
}

void device_synchronize() { EMBER_CUDA_CHECK(cudaDeviceSynchronize()); }

std::size_t free_memory() {
  std::size_t free_bytes = 0, total_bytes = 0;
  EMBER_CUDA_CHECK(cudaMemGetInfo(&free_bytes, &total_bytes));
  return free_bytes;
}

void* device_malloc(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  void* p = nullptr;
  EMBER_CUDA_CHECK(cudaMalloc(&p, bytes));
  return p;
}

void device_free(void* ptr) {
  if (ptr != nullptr) EMBER_CUDA_CHECK(cudaFree(ptr));
}

namespace {
void copy(void* dst, const void* src, std::size_t bytes, cudaMemcpyKind kind, Stream stream) {
  if (bytes == 0) return;
  if (stream == nullptr) {
    EMBER_CUDA_CHECK(cudaMemcpy(dst, src, bytes, kind));
  } else {
    EMBER_CUDA_CHECK(cudaMemcpyAsync(dst, src, bytes, kind, stream));
  }
}
}  // namespace

void memcpy_h2d(void* dst, const void* src, std::size_t bytes, Stream stream) {
  copy(dst, src, bytes, cudaMemcpyHostToDevice, stream);
}
void memcpy_d2h(void* dst, const void* src, std::size_t bytes, Stream stream) {
  copy(dst, src, bytes, cudaMemcpyDeviceToHost, stream);
}
void memcpy_d2d(void* dst, const void* src, std::size_t bytes, Stream stream) {
  copy(dst, src, bytes, cudaMemcpyDeviceToDevice, stream);
}

void device_memset(void* dst, int byte_value, std::size_t bytes, Stream stream) {
  if (bytes == 0) return;
  if (stream == nullptr) {
    EMBER_CUDA_CHECK(cudaMemset(dst, byte_value, bytes));
  } else {
    EMBER_CUDA_CHECK(cudaMemsetAsync(dst, byte_value, bytes, stream));
  }
}

Stream stream_create() {
  cudaStream_t s = nullptr;
  EMBER_CUDA_CHECK(cudaStreamCreate(&s));
  return s;
}
void stream_destroy(Stream stream) {
  if (stream != nullptr) EMBER_CUDA_CHECK(cudaStreamDestroy(stream));
}
void stream_synchronize(Stream stream) { EMBER_CUDA_CHECK(cudaStreamSynchronize(stream)); }

Event event_create() {
  cudaEvent_t e = nullptr;
  EMBER_CUDA_CHECK(cudaEventCreate(&e));
  return e;
}
void event_destroy(Event event) {
  if (event != nullptr) EMBER_CUDA_CHECK(cudaEventDestroy(event));
}
void event_record(Event event, Stream stream) { EMBER_CUDA_CHECK(cudaEventRecord(event, stream)); }
void event_synchronize(Event event) { EMBER_CUDA_CHECK(cudaEventSynchronize(event)); }
float event_elapsed_ms(Event start, Event end) {
  float ms = 0.0f;
  EMBER_CUDA_CHECK(cudaEventElapsedTime(&ms, start, end));
  return ms;
}

}  // namespace ember::cuda
