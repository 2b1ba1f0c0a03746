// SHA-256 of a byte string (OpenSSL), as lowercase hex: names a plan by its content, so the shards
// of one plan and a report over them agree on which plan they belong to without a registry.
#pragma once
#include <string>
#include <string_view>

namespace mtb {

std::string sha256_hex(std::string_view bytes);

}  // namespace mtb
