// OpId and static facts about each op, generated from kernels/ops.def.
#pragma once
#include <cstdint>
#include <optional>
#include <string_view>

namespace ember {

enum class OpId : uint16_t {
#define EMBER_OP(name, arity, family) name,
#include "kernels/ops.def"
#undef EMBER_OP
};

inline constexpr int kNumOps = 0
#define EMBER_OP(name, arity, family) +1
#include "kernels/ops.def"
#undef EMBER_OP
    ;
// Tables that must list every op (update them, then this number): the op-case test table
// (tests/cases/) and the derivative table once autograd lands.
static_assert(kNumOps == 111, "ops.def changed: add a row to the op-case table (tests/cases/)");

struct OpInfo {
  const char* name;
  int arity;
  const char* family;
  bool composite() const { return std::string_view(family) == "composite"; }
};

const OpInfo& op_info(OpId op);
inline const char* op_name(OpId op) { return op_info(op).name; }
std::optional<OpId> op_by_name(std::string_view name);

}  // namespace ember
