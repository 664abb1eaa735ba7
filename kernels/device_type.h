// The kinds of device a kernel can be registered for.
#pragma once
#include <cstdint>

namespace ember {

enum class DeviceType : uint8_t { cpu, cuda };
inline constexpr int kNumDeviceTypes = 2;

constexpr const char* device_type_name(DeviceType t) { return t == DeviceType::cpu ? "cpu" : "cuda"; }

}  // namespace ember
