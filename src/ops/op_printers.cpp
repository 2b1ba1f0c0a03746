#include "ops/op_printers.h"

namespace mtb::ops {

std::string format_op_records(const std::vector<OpRecord>& records, OutputFormat f) {
  return op_record_fields().format(records, f);
}

}  // namespace mtb::ops
