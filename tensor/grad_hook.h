// The tensor layer's only link to autograd: primitive ops describe themselves as an OpCall and
// hand it to a hook that autograd/ installs at load time. tensor/ knows nothing else of it.
#pragma once
#include <initializer_list>
#include <memory>
#include <vector>

#include "kernels/op_table.h"
#include "tensor/tensor.h"

namespace ember {

// One recorded op: inputs and outputs as the op saw them, plus the attributes a derivative
// rule needs. Only the fields an op uses are set.
// The view methods of Tensor have no op-table row; they record as OpId::copy with `view` set.
enum class ViewOp : uint8_t { none, reshape, permute, slice, select, expand, as_strided };

struct OpCall {
  OpId op;
  ViewOp view = ViewOp::none;
  std::vector<Tensor> inputs{};
  std::vector<Tensor> outputs{};
  Shape dims{};          // reduced dims (sorted), permutation, or view/expand target shape
  int64_t dim = 0;       // the dim of dim-wise ops (softmax, gather, slice, cat, ...)
  bool keepdim = false;
  double a = 0, b = 0;   // scalar attributes (ScalarArgs::a/b, slice start/step)
};

using GradHook = void (*)(OpCall&&);

namespace detail {
extern GradHook grad_hook;
extern thread_local bool grad_enabled;
}  // namespace detail

// Installed once by autograd/ (a static initialiser); nullptr turns recording off entirely.
void set_grad_hook(GradHook hook);

// Thread-local grad mode (autograd::NoGradGuard sets it).
inline bool grad_enabled() { return detail::grad_enabled; }
inline void set_grad_enabled(bool enabled) { detail::grad_enabled = enabled; }

// True when an op on `inputs` must be recorded: cheap enough for every op's front end.
inline bool grad_recording(std::initializer_list<const Tensor*> inputs) {
  for (const Tensor* t : inputs) {
    if (t->defined() && t->impl().requires_grad) {
      return detail::grad_hook != nullptr && detail::grad_enabled;
    }
  }
  return false;
}
inline bool grad_recording(const std::vector<Tensor>& inputs) {
  for (const Tensor& t : inputs) {
    if (t.defined() && t.impl().requires_grad) {
      return detail::grad_hook != nullptr && detail::grad_enabled;
    }
  }
  return false;
}

// Hands `call` to the hook; front ends call it only when grad_recording(...) said so.
void record_op(OpCall&& call);

// Turns recording off for its scope: front ends built from in-place writes (cat) use it so
// their internals are not recorded, then record themselves as one op.
class GradModeGuard {
 public:
  explicit GradModeGuard(bool enabled) : prev_(grad_enabled()) { set_grad_enabled(enabled); }
  ~GradModeGuard() { set_grad_enabled(prev_); }
  GradModeGuard(const GradModeGuard&) = delete;
  GradModeGuard& operator=(const GradModeGuard&) = delete;

 private:
  bool prev_;
};

}  // namespace ember
