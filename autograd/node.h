// Graph nodes: one Node per recorded op, holding edges to its inputs' producers, the tensors
// its derivative rule saved (with their version at save time) and the op's attributes.
#pragma once
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include "tensor/grad_hook.h"
#include "tensor/tensor.h"

namespace ember {

namespace autograd {
struct Node;
}

// Autograd state of one tensor: leaves have no grad_fn; recorded outputs point at their node.
struct AutogradMeta {
  Tensor grad;
  std::shared_ptr<autograd::Node> grad_fn;
  int output_nr = 0;
  bool retains_grad = false;
  std::vector<Tensor::GradHookFn> hooks;  // register_hook; a removed hook is left empty
};

namespace autograd {

// Where an input's gradient goes: the node that produced it, or the leaf's meta.
struct Edge {
  std::shared_ptr<Node> node;
  int output_nr = 0;
  std::shared_ptr<AutogradMeta> leaf;
  bool defined() const { return node != nullptr || leaf != nullptr; }
};

// Geometry of an input or output, kept so rules need not save the tensor itself.
struct TensorInfo {
  Shape shape;
  Strides strides;
  int64_t offset = 0;
  DType dtype = DType::f32;
};

struct SavedTensor {
  Tensor data;  // outputs are saved detached (no cycle through their own node)
  uint64_t version = 0;
};

struct Rule;

struct Node : std::enable_shared_from_this<Node> {
  // the op and its attributes (see OpCall)
  OpId op = OpId::copy;
  ViewOp view = ViewOp::none;
  Shape dims;
  int64_t dim = 0;
  bool keepdim = false;
  double a = 0, b = 0;

  std::vector<TensorInfo> inputs;
  std::vector<Edge> edges;  // one per input; undefined when the input needs no gradient
  std::vector<TensorInfo> outputs;
  // Per output, set by retain_grad() and register_hook(): the meta whose hooks run on that
  // output's gradient and which receives it as .grad when retains_grad is set.
  std::vector<std::weak_ptr<AutogradMeta>> retained;
  std::vector<std::optional<SavedTensor>> saved_inputs, saved_outputs;
  const Rule* rule = nullptr;  // null: the op has no derivative yet (backward throws)
  bool released = false;       // saved tensors freed by a backward without retain_graph
  std::string trace;  // the forward call, e.g. "sqrt(f32[3])"; recorded in anomaly mode only

  std::string name() const;  // the op's name, e.g. "mul" or "view(permute)"
  // Saved tensors, checked against in-place modification since they were saved.
  Tensor input(int i) const;
  Tensor output(int i) const;
  void release();
};

}  // namespace autograd
}  // namespace ember
