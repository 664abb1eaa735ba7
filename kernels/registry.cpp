// The op table's static facts and the (op, device) kernel slots.
#include "kernels/registry.h"

#include <array>

namespace ember {

namespace {
constexpr std::array<OpInfo, kNumOps> kOpInfos = {{
#define EMBER_OP(name, arity, family) {#name, arity, #family},
#include "kernels/ops.def"
#undef EMBER_OP
}};

// Function-local static: registrars in other translation units may run before this file's
// globals are initialised.
std::array<std::array<AnyKernel, kNumDeviceTypes>, kNumOps>& slots() {
  static std::array<std::array<AnyKernel, kNumDeviceTypes>, kNumOps> table{};
  return table;
}
}  // namespace

const OpInfo& op_info(OpId op) { return kOpInfos[static_cast<size_t>(op)]; }

std::optional<OpId> op_by_name(std::string_view name) {
  for (int i = 0; i < kNumOps; ++i) {
    if (name == kOpInfos[i].name) return static_cast<OpId>(i);
  }
  return std::nullopt;
}

void register_kernel(OpId op, DeviceType device, AnyKernel fn) {
  AnyKernel& slot = slots()[static_cast<size_t>(op)][static_cast<size_t>(device)];
  if (slot != nullptr && slot != fn) {
    throw Error(str("register_kernel: op ", op_name(op), " registered twice on device ",
                    device_type_name(device)));
  }
  slot = fn;
}

AnyKernel find_kernel(OpId op, DeviceType device) {
  return slots()[static_cast<size_t>(op)][static_cast<size_t>(device)];
}

bool has_kernel(OpId op, DeviceType device) { return find_kernel(op, device) != nullptr; }

}  // namespace ember
