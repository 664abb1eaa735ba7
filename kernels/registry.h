// The kernel registry: one slot per (op, device type). Backend files fill their slots from
// static initialisers (EMBER_REGISTER_KERNEL), so adding a backend edits no central switch.
// Each family fixes its kernel's signature (kernels/*_args.h); the slot stores it type-erased.
#pragma once
#include "kernels/device_type.h"
#include "kernels/error.h"
#include "kernels/op_table.h"

namespace ember {

using AnyKernel = void (*)();

void register_kernel(OpId op, DeviceType device, AnyKernel fn);
AnyKernel find_kernel(OpId op, DeviceType device);  // nullptr when none is registered
bool has_kernel(OpId op, DeviceType device);

// The kernel of `op` on `device` cast to its family's signature; a missing one throws
// NotImplementedError "op X is not implemented on device Y".
template <typename Fn>
Fn kernel(OpId op, DeviceType device) {
  AnyKernel k = find_kernel(op, device);
  if (k == nullptr) {
    throw NotImplementedError(
        str("op ", op_name(op), " is not implemented on device ", device_type_name(device)));
  }
  return reinterpret_cast<Fn>(k);
}

namespace detail {
struct KernelRegistrar {
  template <typename Fn>
  KernelRegistrar(OpId op, DeviceType device, Fn fn) {
    register_kernel(op, device, reinterpret_cast<AnyKernel>(fn));
  }
};
}  // namespace detail

}  // namespace ember

#define EMBER_CONCAT_INNER(a, b) a##b
#define EMBER_CONCAT(a, b) EMBER_CONCAT_INNER(a, b)
// EMBER_REGISTER_KERNEL(cpu, exp, &some_kernel): at load time, fills the (exp, cpu) slot.
#define EMBER_REGISTER_KERNEL(device, op, fn)                                               \
  static const ::ember::detail::KernelRegistrar EMBER_CONCAT(ember_registrar_, __LINE__)( \
      ::ember::OpId::op, ::ember::DeviceType::device, fn)
