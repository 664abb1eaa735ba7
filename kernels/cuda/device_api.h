// ember's portability API for the CUDA device: memory, copies, streams, events and device
// properties. One set of functions for the GPU build (the CUDA runtime) and the emulator build
// (kernels/simt/, where device memory is host memory and streams are synchronous). Plain C++:
// tensor/ and the tools include it without CUDA headers. Every failure throws DeviceError
// (OutOfMemoryError when an allocation fails) naming the call, the CUDA error, file and line.
#pragma once
#include <cstddef>
#include <string>

struct CUstream_st;
struct CUevent_st;

namespace ember::cuda {

using Stream = CUstream_st*;  // the CUDA runtime's cudaStream_t; nullptr is the default stream
using Event = CUevent_st*;    // cudaEvent_t

struct DeviceProperties {
  std::string name;          // the card's name, or "SIMT emulator"
  int major = 0, minor = 0;  // compute capability (the emulator reports 8.0)
  std::size_t total_memory = 0;
  std::size_t shared_memory_per_block = 0;        // a launch's default limit
  std::size_t shared_memory_per_block_optin = 0;  // with cudaFuncSetAttribute
  int multiprocessor_count = 0;                   // emulator: OpenMP threads
  int max_threads_per_block = 0;
  int warp_size = 0;
  bool emulated = false;
};

// True in the emulator build: "cuda" devices run on the CPU.
bool is_emulated();
// Usable devices; 0 in a GPU build on a machine without a GPU or driver (never throws).
int device_count();
DeviceProperties device_properties(int device = 0);
void set_device(int device);
int current_device();
void device_synchronize();
// Free device memory in bytes (emulator: free host memory).
std::size_t free_memory();

// 256-byte aligned device memory; device_malloc(0) returns nullptr, device_free(nullptr) is a
// no-op.
void* device_malloc(std::size_t bytes);
void device_free(void* ptr);

// Copies and fills. With the default stream they are synchronous; with another stream they
// are queued on it (the emulator runs everything at once).
void memcpy_h2d(void* dst, const void* src, std::size_t bytes, Stream stream = nullptr);
void memcpy_d2h(void* dst, const void* src, std::size_t bytes, Stream stream = nullptr);
void memcpy_d2d(void* dst, const void* src, std::size_t bytes, Stream stream = nullptr);
void device_memset(void* dst, int byte_value, std::size_t bytes, Stream stream = nullptr);

Stream stream_create();
void stream_destroy(Stream stream);
void stream_synchronize(Stream stream);

Event event_create();
void event_destroy(Event event);
void event_record(Event event, Stream stream = nullptr);
void event_synchronize(Event event);
// Milliseconds between two recorded events (after event_synchronize(end)).
float event_elapsed_ms(Event start, Event end);

}  // namespace ember::cuda
