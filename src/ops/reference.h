// The float64 reference of every op: plain C++, written from the semantics in ops/op.h, for batch
// element 0 only (every op is independent across the batch, and the seeded inputs of element 0 do
// not depend on the batch size, so one reference serves every batch size of a shape).
#pragma once
#include <vector>

#include "ops/inputs.h"
#include "ops/op.h"

namespace mtb::ops {

// Batch element 0 of the output, row-major (the output shape without its batch dimension).
std::vector<double> reference(Op op, const OpShape& s, const std::vector<HostTensor>& inputs);

}  // namespace mtb::ops
