// Every number derived from an op case's samples, in one function: the summary and the median's
// interval, the op's arithmetic and minimum traffic, the achieved rates and their share of the
// device's measured ceilings.
#pragma once
#include <optional>

#include "core/calibration.h"
#include "ops/op_record.h"

namespace mtb::ops {

void derive_op_numbers(OpRecord& r, const std::optional<Calibration>& cal);

}  // namespace mtb::ops
