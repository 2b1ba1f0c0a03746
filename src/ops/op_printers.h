// Readers of the op record for the terminal and for pipes: -o table|csv|json|jsonl|md, all from the
// record's field table (ops/op_record.h).
#pragma once
#include <string>
#include <vector>

#include "core/text_table.h"
#include "ops/op_record.h"

namespace mtb::ops {

std::string format_op_records(const std::vector<OpRecord>& records, OutputFormat f);

}  // namespace mtb::ops
