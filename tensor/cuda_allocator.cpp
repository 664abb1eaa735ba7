// The CUDA caching allocator behind Storage(nbytes, Device::cuda(i)) and the stream-aware API
// of tensor/cuda_allocator.h, on the portability layer (kernels/cuda/device_api.h), so it serves
// the GPU build and the SIMT emulator alike.
//
// cudaMalloc and cudaFree synchronise the device and cost far more than a kernel on a small
// tensor, so memory is taken from the device in segments and handed out again as blocks.
// Requests round up to 512 bytes. Those up to 1 MiB come from the small pool, whose segments
// are 2 MiB; larger ones from the large pool, whose segments are the request rounded up to
// 2 MiB. A request takes the smallest free block of its pool that fits (free blocks sit in
// ordered sets keyed by (device, stream, size, address)); the block is split when the rest is
// worth keeping (small pool: any rest, large pool: a rest over 1 MiB, so big segments are not
// cut into slivers). A released block merges with free neighbours in its segment, so two halves
// freed make the whole segment again. Every segment belongs to the stream of the request that
// made it, and its blocks are reused only by requests on that stream: work on the stream is
// ordered after what used the block before, so no event or synchronisation is needed. Using a
// block on a second stream (PyTorch's record_stream) is not supported; nothing in ember does.
// When cudaMalloc fails, the allocator synchronises, returns the device's cached segments that
// hold no allocated block and retries once; then it throws OutOfMemoryError with the request,
// the device's free bytes and its own allocated, reserved and peak bytes.
// EMBER_CUDA_CACHING=0 gives every request its own cudaMalloc of exactly the requested bytes,
// freed at release (memory checkers then see an access one past the end). EMBER_DEBUG_POISON
// fills new and reused blocks with 0xFF, like the CPU allocator. One mutex guards everything.
#include <algorithm>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <mutex>
#include <set>
#include <unordered_map>
#include <vector>

#include "kernels/error.h"
#include "tensor/storage.h"

#if defined(EMBER_CUDA_BACKEND)
#include "kernels/cuda/device_api.h"
#include "kernels/cuda/workspace.h"
#include "tensor/cuda_allocator.h"

namespace ember {

namespace {

constexpr size_t kMinBlock = 512;                  // requests round up to a multiple of this
constexpr size_t kSmallRequest = size_t{1} << 20;  // up to this: the small pool
constexpr size_t kSmallSegment = size_t{2} << 20;  // the small pool's segment size
constexpr size_t kLargeRound = size_t{2} << 20;    // large segments are multiples of this
constexpr size_t kMaxRequest = size_t{1} << 62;    // more: no device has it (and no overflow)

bool env_flag(const char* name, bool fallback) {
  const char* v = std::getenv(name);
  if (v == nullptr || *v == '\0') return fallback;
  return std::strcmp(v, "0") != 0;
}

size_t round_up(size_t n, size_t multiple) { return (n + multiple - 1) / multiple * multiple; }

size_t segment_size(size_t size) {
  return size <= kSmallRequest ? kSmallSegment : round_up(size, kLargeRound);
}

// A piece of a segment, free or allocated. The blocks of a segment form an address-ordered
// list; no two neighbours are both free.
struct Block {
  int device = 0;
  cuda::Stream stream = nullptr;
  bool small = false;  // of the small pool
  size_t size = 0;
  char* ptr = nullptr;
  bool allocated = false;
  Block* prev = nullptr;
  Block* next = nullptr;

  bool whole_segment() const { return prev == nullptr && next == nullptr; }
};

// (device, stream, size, address): the free blocks of one stream lie together, by size.
struct BlockOrder {
  bool operator()(const Block* a, const Block* b) const {
    if (a->device != b->device) return a->device < b->device;
    if (a->stream != b->stream) return std::less<cuda::Stream>()(a->stream, b->stream);
    if (a->size != b->size) return a->size < b->size;
    return std::less<char*>()(a->ptr, b->ptr);
  }
};
using Pool = std::set<Block*, BlockOrder>;

}  // namespace

struct CudaCachingAllocator::Impl {
  explicit Impl(CudaAllocatorOptions o) : options(o), device_count(cuda::device_count()) {}

  ~Impl() {
    try {
      release_cached(-1);
    } catch (const Error&) {  // a device already torn down: nothing left to return it to
    }
    for (Pool* pool : {&small, &large}) {
      for (Block* b : *pool) delete b;
    }
    for (auto& [p, b] : live) delete b;
  }

  void* allocate(size_t nbytes, int device, cuda::Stream stream) {
    if (device < 0 || device >= device_count) {
      throw DeviceError(str("cuda allocator: cannot allocate on cuda:", device,
                            "; this machine has ", device_count, " cuda device(s)",
                            cuda::is_emulated() ? " (SIMT emulator)" : ""));
    }
    if (nbytes == 0) return nullptr;
    std::lock_guard<std::mutex> lock(mu);
    if (nbytes > kMaxRequest) {  // fails like any request too large for the device
      release_cached(device);
      throw out_of_memory(nbytes, nbytes, device);
    }
    Block* b = nullptr;
    if (options.caching) {
      const size_t size = round_up(nbytes, kMinBlock);
      const bool small_request = size <= kSmallRequest;
      Pool& pool = small_request ? small : large;
      b = take_free(pool, device, stream, size);
      if (b != nullptr) {
        ++stats.cache_hits;
      } else {
        b = new_segment(nbytes, segment_size(size), device, stream);
        b->small = small_request;
      }
      if (worth_splitting(*b, size)) split(b, size, pool);
    } else {
      b = new_segment(nbytes, nbytes, device, stream);
    }
    b->allocated = true;
    live.emplace(b->ptr, b);
    stats.allocated += static_cast<int64_t>(b->size);
    stats.peak = std::max(stats.peak, stats.allocated);
    ++stats.allocations;
    if (options.poison) {
      cuda::set_device(device);
      cuda::device_memset(b->ptr, 0xFF, b->size, stream);
    }
    return b->ptr;
  }

  void release(void* p) {
    if (p == nullptr) return;
    std::lock_guard<std::mutex> lock(mu);
    auto it = live.find(p);
    if (it == live.end()) {
      throw ValueError(str("cuda allocator: cannot release ", p,
                           ", which is not an allocated block; expected a pointer from "
                           "allocate() that was not released yet"));
    }
    Block* b = it->second;
    if (!options.caching) {
      cuda::set_device(b->device);
      cuda::device_free(b->ptr);
      stats.reserved -= static_cast<int64_t>(b->size);
      --stats.segments;
    }
    live.erase(it);
    stats.allocated -= static_cast<int64_t>(b->size);
    if (!options.caching) {
      delete b;
      return;
    }
    b->allocated = false;
    Pool& pool = b->small ? small : large;
    merge(b, b->prev, pool);
    merge(b, b->next, pool);
    pool.insert(b);
  }

  // The smallest free block of `pool` on (device, stream) that holds `size`, taken out of it.
  static Block* take_free(Pool& pool, int device, cuda::Stream stream, size_t size) {
    Block key;
    key.device = device;
    key.stream = stream;
    key.size = size;
    auto it = pool.lower_bound(&key);
    if (it == pool.end() || (*it)->device != device || (*it)->stream != stream) return nullptr;
    Block* b = *it;
    pool.erase(it);
    return b;
  }

  static bool worth_splitting(const Block& b, size_t size) {
    const size_t rest = b.size - size;
    return b.small ? rest >= kMinBlock : rest > kSmallRequest;
  }

  // Cuts b to `size`; the rest becomes a free block after it.
  static void split(Block* b, size_t size, Pool& pool) {
    Block* rest = new Block(*b);
    rest->size = b->size - size;
    rest->ptr = b->ptr + size;
    rest->allocated = false;
    rest->prev = b;
    if (rest->next != nullptr) rest->next->prev = rest;
    b->next = rest;
    b->size = size;
    pool.insert(rest);
  }

  // Folds the neighbour n of the free block b (not in the pool) into b when n is free.
  static void merge(Block* b, Block* n, Pool& pool) {
    if (n == nullptr || n->allocated) return;
    pool.erase(n);
    if (n == b->prev) {
      b->ptr = n->ptr;
      b->prev = n->prev;
      if (b->prev != nullptr) b->prev->next = b;
    } else {
      b->next = n->next;
      if (b->next != nullptr) b->next->prev = b;
    }
    b->size += n->size;
    delete n;
  }

  // A fresh segment of `bytes` as one block, for a request of `nbytes`.
  Block* new_segment(size_t nbytes, size_t bytes, int device, cuda::Stream stream) {
    void* p = try_malloc(bytes, device);
    if (p == nullptr) {
      release_cached(device);
      p = try_malloc(bytes, device);
    }
    if (p == nullptr) throw out_of_memory(nbytes, bytes, device);
    Block* b = new Block;
    b->device = device;
    b->stream = stream;
    b->size = bytes;
    b->ptr = static_cast<char*>(p);
    stats.reserved += static_cast<int64_t>(bytes);
    ++stats.segments;
    return b;
  }

  static void* try_malloc(size_t bytes, int device) {
    cuda::set_device(device);
    try {
      return cuda::device_malloc(bytes);
    } catch (const OutOfMemoryError&) {
      return nullptr;
    }
  }

  OutOfMemoryError out_of_memory(size_t nbytes, size_t bytes, int device) const {
    cuda::set_device(device);
    return OutOfMemoryError(
        str("cuda allocator: out of memory allocating ", nbytes, " bytes on cuda:", device,
            bytes != nbytes ? str(" (a segment of ", bytes, " bytes)") : std::string(),
            "; the device has ", cuda::free_memory(), " bytes free; ember has ", stats.allocated,
            " bytes allocated and ", stats.reserved, " bytes reserved (peak ", stats.peak,
            " bytes allocated) after returning its cache"));
  }

  // Synchronises and returns the cached segments of `device` (-1: all devices) that hold no
  // allocated block.
  void release_cached(int device) {
    std::vector<int> synchronized;
    for (Pool* pool : {&small, &large}) {
      for (auto it = pool->begin(); it != pool->end();) {
        Block* b = *it;
        if (!b->whole_segment() || (device >= 0 && b->device != device)) {
          ++it;
          continue;
        }
        cuda::set_device(b->device);
        if (std::find(synchronized.begin(), synchronized.end(), b->device) == synchronized.end()) {
          cuda::device_synchronize();
          synchronized.push_back(b->device);
        }
        cuda::device_free(b->ptr);
        stats.reserved -= static_cast<int64_t>(b->size);
        --stats.segments;
        it = pool->erase(it);
        delete b;
      }
    }
  }

  const CudaAllocatorOptions options;
  const int device_count;  // fixed for the process's lifetime
  mutable std::mutex mu;
  Pool small, large;                       // free blocks, guarded by mu
  std::unordered_map<void*, Block*> live;  // allocated blocks by address, guarded by mu
  CudaMemoryStats stats;                   // guarded by mu
};

CudaAllocatorOptions CudaAllocatorOptions::from_env() {
  CudaAllocatorOptions o;
  o.caching = env_flag("EMBER_CUDA_CACHING", true);
  o.poison = env_flag("EMBER_DEBUG_POISON", false);
  return o;
}

CudaCachingAllocator::CudaCachingAllocator(CudaAllocatorOptions options)
    : impl_(std::make_unique<Impl>(options)) {}
CudaCachingAllocator::~CudaCachingAllocator() = default;

void* CudaCachingAllocator::allocate(size_t nbytes, int device, cuda::Stream stream) {
  return impl_->allocate(nbytes, device, stream);
}
void CudaCachingAllocator::release(void* p) { impl_->release(p); }
void CudaCachingAllocator::empty_cache() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->release_cached(-1);
}
CudaMemoryStats CudaCachingAllocator::stats() const {
  std::lock_guard<std::mutex> lock(impl_->mu);
  return impl_->stats;
}
void CudaCachingAllocator::reset_peak() {
  std::lock_guard<std::mutex> lock(impl_->mu);
  impl_->stats.peak = impl_->stats.allocated;
}
bool CudaCachingAllocator::caching() const { return impl_->options.caching; }

CudaCachingAllocator& cuda_caching_allocator() {
  static CudaCachingAllocator* allocator =
      new CudaCachingAllocator(CudaAllocatorOptions::from_env());
  return *allocator;
}

namespace detail {
void copy_bytes(void* dst, Device dst_device, const void* src, Device src_device, size_t nbytes) {
  if (nbytes == 0) return;
  if (src_device.is_cpu()) {
    cuda::set_device(dst_device.index);
    cuda::memcpy_h2d(dst, src, nbytes);
  } else if (dst_device.is_cpu()) {
    cuda::set_device(src_device.index);
    cuda::memcpy_d2h(dst, src, nbytes);
  } else {
    cuda::set_device(dst_device.index);  // unified addressing: any device may copy
    cuda::memcpy_d2d(dst, src, nbytes);
  }
}

// Storage's tensors run on the default stream.
void* cuda_allocate(size_t nbytes, int device) {
  return cuda_caching_allocator().allocate(nbytes, device);
}
void cuda_release(void* p, size_t, int) { cuda_caching_allocator().release(p); }
}  // namespace detail

namespace {
// Kernel scratch memory (kernels/cuda/workspace.h) comes from the same cache as tensors.
const bool workspace_installed = [] {
  cuda::set_workspace_allocator({&detail::cuda_allocate, &detail::cuda_release});
  return true;
}();
}  // namespace

MemoryStats cuda_memory_stats() { return cuda_caching_allocator().stats(); }
void reset_cuda_peak() { cuda_caching_allocator().reset_peak(); }
void empty_cuda_cache() { cuda_caching_allocator().empty_cache(); }

}  // namespace ember

#else  // a build without the CUDA backend: no cuda storage can exist

namespace ember {

namespace detail {
void* cuda_allocate(size_t, int device) {
  throw DeviceError(str("storage: cannot allocate on cuda:", device,
                        "; this build of ember has no cuda backend (configure with the SIMT "
                        "emulator or -DEMBER_CUDA=ON)"));
}
void cuda_release(void*, size_t, int) {}
void copy_bytes(void*, Device dst_device, const void*, Device src_device, size_t) {
  throw DeviceError(str("to: cannot copy from ", src_device.str(), " to ", dst_device.str(),
                        "; this build of ember has no cuda backend"));
}
}  // namespace detail

MemoryStats cuda_memory_stats() { return {}; }
void reset_cuda_peak() {}
void empty_cuda_cache() {}

}  // namespace ember

#endif
