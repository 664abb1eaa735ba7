// Device: where a tensor's storage lives (the CPU, or CUDA device i).
#pragma once
#include <string>

#include "kernels/device_type.h"

namespace ember {

struct Device {
  DeviceType type = DeviceType::cpu;
  int index = 0;

  static constexpr Device cpu() { return {DeviceType::cpu, 0}; }
  static constexpr Device cuda(int i = 0) { return {DeviceType::cuda, i}; }
  bool is_cpu() const { return type == DeviceType::cpu; }
  bool is_cuda() const { return type == DeviceType::cuda; }
  bool operator==(const Device&) const = default;
  std::string str() const {
    return is_cpu() ? "cpu" : "cuda:" + std::to_string(index);
  }
};

// A device name as users write it: "cpu", "cuda", "cuda:1". Throws ValueError otherwise.
Device parse_device(const std::string& name);

}  // namespace ember
