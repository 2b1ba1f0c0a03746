// Comma lists, as every axis of every suite takes them (llama-bench's syntax).
#pragma once
#include <string>
#include <vector>

namespace mtb {

// "a,b,c" -> {"a","b","c"}; empty items are an error.
std::vector<std::string> split_list(const std::string& s);
// "64,256,1k" -> ints; accepts k suffix (x1024). Throws with the bad item named.
std::vector<int> parse_int_list(const std::string& s, const std::string& what);

}  // namespace mtb
