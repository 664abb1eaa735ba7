// Scratch device memory for CUDA kernels (partials of a split reduction, radix-sort buffers,
// error flags). kernels/ sits below tensor/, so it cannot call the caching allocator directly;
// tensor/cuda_allocator.cpp installs it here at load time, and until then (or in a program
// without the tensor layer) scratch comes straight from device_malloc. Either way a buffer is
// returned when it goes out of scope: every op runs on the default stream, so later kernels
// that reuse the block are ordered after the ones that used it.
#pragma once
#include <cstddef>
#include <cstdint>

#include "kernels/cuda/device_api.h"

namespace ember::cuda {

struct WorkspaceAllocator {
  void* (*allocate)(std::size_t bytes, int device) = nullptr;
  void (*release)(void* ptr, std::size_t bytes, int device) = nullptr;
};
void set_workspace_allocator(WorkspaceAllocator allocator);

// Device memory of `bytes` on the current device (nullptr for 0), and its release.
void* workspace_allocate(std::size_t bytes);
void workspace_release(void* ptr, std::size_t bytes) noexcept;

// Device memory for n elements of T, returned when the buffer goes out of scope.
template <typename T>
class DeviceBuffer {
 public:
  explicit DeviceBuffer(int64_t n)
      : bytes_(sizeof(T) * static_cast<std::size_t>(n > 0 ? n : 0)),
        ptr_(static_cast<T*>(workspace_allocate(bytes_))) {}
  DeviceBuffer(const DeviceBuffer&) = delete;
  DeviceBuffer& operator=(const DeviceBuffer&) = delete;
  ~DeviceBuffer() { workspace_release(ptr_, bytes_); }
  T* get() const { return ptr_; }

 private:
  std::size_t bytes_;
  T* ptr_;
};

}  // namespace ember::cuda
