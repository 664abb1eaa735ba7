// The CUDA caching allocator (tensor/cuda_allocator.cpp): stream-aware pools of device memory
// behind Storage(nbytes, Device::cuda(i)), for code that queues work on its own streams, and
// its statistics. Design: docs/internals/cuda.md, "Memory". Only in builds with a cuda backend.
#pragma once
#include <cstddef>
#include <cstdint>
#include <memory>

#include "kernels/cuda/device_api.h"
#include "tensor/storage.h"

#if defined(EMBER_CUDA_BACKEND)

namespace ember {

// cuda_memory_stats() (all devices together) plus what only the caching allocator has.
struct CudaMemoryStats : MemoryStats {
  int64_t segments = 0;    // cudaMalloc'd segments held (reserved is their total size)
  int64_t cache_hits = 0;  // allocations served from a cached block, without cudaMalloc
};

struct CudaAllocatorOptions {
  // false: every block is its own cudaMalloc of exactly the request, freed at once.
  bool caching = true;
  // Fill new and reused blocks with 0xFF (NaN in floats, -1 in integers).
  bool poison = false;
  // EMBER_CUDA_CACHING (default on) and EMBER_DEBUG_POISON (default off).
  static CudaAllocatorOptions from_env();
};

class CudaCachingAllocator {
 public:
  explicit CudaCachingAllocator(CudaAllocatorOptions options = {});
  // Returns the cached segments to the device; blocks still allocated stay allocated.
  ~CudaCachingAllocator();
  CudaCachingAllocator(const CudaCachingAllocator&) = delete;
  CudaCachingAllocator& operator=(const CudaCachingAllocator&) = delete;

  // At least `nbytes` of memory on cuda:`device`, 256-byte aligned, for work queued on `stream`
  // (nullptr: the default stream). Once released, the block is handed out again only to
  // requests on the same stream, so stream order keeps it from being overwritten while queued
  // work still reads it. Returns nullptr for 0 bytes. Throws DeviceError for a device that does
  // not exist and OutOfMemoryError when the device is full even after the cache is returned.
  void* allocate(size_t nbytes, int device, cuda::Stream stream = nullptr);
  // Gives back a block from allocate() (nullptr: nothing). Throws ValueError for a pointer
  // this allocator did not hand out or that was released already.
  void release(void* p);
  // Synchronizes and returns every cached segment that holds no allocated block to the device.
  void empty_cache();

  CudaMemoryStats stats() const;
  // Sets the peak to what is allocated now.
  void reset_peak();
  bool caching() const;

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

// The process's allocator, behind Storage and cuda_memory_stats(): configured from the
// environment at first use, never destroyed (storages may outlive static destruction).
CudaCachingAllocator& cuda_caching_allocator();

}  // namespace ember

#endif
