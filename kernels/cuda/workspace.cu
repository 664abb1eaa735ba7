// Scratch device memory for CUDA kernels: the allocator tensor/ installs, or device_malloc.
#include "kernels/cuda/workspace.h"

namespace ember::cuda {
namespace {
// Constant-initialised, so installing from another file's static initialiser is order-safe.
WorkspaceAllocator installed;
}  // namespace

void set_workspace_allocator(WorkspaceAllocator allocator) { installed = allocator; }

void* workspace_allocate(std::size_t bytes) {
  if (bytes == 0) return nullptr;
  if (installed.allocate != nullptr) return installed.allocate(bytes, current_device());
  return device_malloc(bytes);
}

void workspace_release(void* ptr, std::size_t bytes) noexcept {
  if (ptr == nullptr) return;
  // A failing cudaFree means a sticky device error, which the next checked call reports.
  try {
    if (installed.release != nullptr) {
      installed.release(ptr, bytes, current_device());
    } else {
      device_free(ptr);
    }
  } catch (...) {
  }
}

}  // namespace ember::cuda
