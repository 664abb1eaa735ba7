// Storage: a reference-counted block of device memory that tensors view, and the CPU
// allocator behind it.
#pragma once
#include <cstddef>
#include <cstdint>
#include <functional>
#include <memory>

#include "tensor/device.h"

namespace ember {

class Storage {
 public:
  using Deleter = std::function<void(void*)>;

  // Owned memory from the device's allocator.
  Storage(size_t nbytes, Device device);
  // Memory the caller owns; `deleter` (may be empty) runs when the last tensor lets go.
  Storage(void* data, size_t nbytes, Device device, Deleter deleter);
  ~Storage();
  Storage(const Storage&) = delete;
  Storage& operator=(const Storage&) = delete;

  void* data() const { return data_; }
  size_t nbytes() const { return nbytes_; }
  Device device() const { return device_; }

  // Bumped by every in-place write; autograd checks saved tensors against it.
  uint64_t version() const { return version_; }
  void bump_version() { ++version_; }

 private:
  void* data_ = nullptr;
  size_t nbytes_ = 0;
  Device device_;
  Deleter deleter_;
  uint64_t version_ = 0;
};

// CPU allocator statistics, in bytes of the size classes blocks are served from.
struct MemoryStats {
  int64_t allocated = 0;    // held by live storages
  int64_t peak = 0;         // most ever allocated at once (since reset_cpu_peak)
  int64_t allocations = 0;  // number of allocations served
  int64_t reserved = 0;     // taken from the system: allocated plus the cache
};
MemoryStats cpu_memory_stats();
void reset_cpu_peak();
// Returns every cached free block to the system.
void empty_cpu_cache();

// The same for the CUDA caching allocator (tensor/cuda_allocator.cpp), all devices together.
MemoryStats cuda_memory_stats();
void reset_cuda_peak();
void empty_cuda_cache();

namespace detail {
// Storage's CUDA memory: throws DeviceError for a device that does not exist and
// OutOfMemoryError when even an emptied cache leaves too little.
void* cuda_allocate(size_t nbytes, int device);
void cuda_release(void* p, size_t nbytes, int device);
// Copies bytes between any two devices (at least one a cuda device); synchronous.
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes);
}  // namespace detail

}  // namespace ember
