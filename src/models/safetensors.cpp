#include "models/safetensors.h"

#include <fmt/format.h>

#include <algorithm>
#include <limits>
#include <nlohmann/json.hpp>

#include "models/mapped_file.h"

namespace mtb {
namespace fs = std::filesystem;
namespace {

[[noreturn]] void fail(const std::string& what, const std::string& msg) {
  throw SafetensorsError(fmt::format("safetensors file {}: {}", what, msg));
}

uint64_t non_negative_int(const nlohmann::json& v, const std::string& what, const std::string& field) {
  if (v.is_number_unsigned()) return v.get<uint64_t>();
  if (v.is_number_integer() && v.get<int64_t>() >= 0) return static_cast<uint64_t>(v.get<int64_t>());
  fail(what, fmt::format("{} must be a non-negative integer, got {}", field, v.dump()));
}

SafetensorsEntry parse_entry(const std::string& name, const nlohmann::json& v, uint64_t data_size, const std::string& what) {
  if (!v.is_object()) fail(what, fmt::format("tensor {}: entry is not an object", name));
  SafetensorsEntry e;
  e.name = name;
  const auto dt = v.find("dtype");
  if (dt == v.end() || !dt->is_string()) fail(what, fmt::format("tensor {}: dtype is missing or not a string", name));
  e.dtype = dt->get<std::string>();
  const size_t es = safetensors_dtype_size(e.dtype);
  if (es == 0) fail(what, fmt::format("tensor {}: unknown dtype \"{}\"", name, e.dtype));

  const auto sh = v.find("shape");
  if (sh == v.end() || !sh->is_array()) fail(what, fmt::format("tensor {}: shape is missing or not an array", name));
  uint64_t bytes = es;
  for (const auto& d : *sh) {
    const uint64_t n = non_negative_int(d, what, fmt::format("tensor {}: shape entry", name));
    if (n > uint64_t(std::numeric_limits<int64_t>::max()) || (n && bytes > std::numeric_limits<uint64_t>::max() / n))
      fail(what, fmt::format("tensor {}: shape {} overflows", name, sh->dump()));
    bytes *= n;
    e.shape.push_back(static_cast<int64_t>(n));
  }

  const auto off = v.find("data_offsets");
  if (off == v.end() || !off->is_array() || off->size() != 2)
    fail(what, fmt::format("tensor {}: data_offsets must be an array [begin, end]", name));
  e.begin = non_negative_int((*off)[0], what, fmt::format("tensor {}: data_offsets[0]", name));
  e.end = non_negative_int((*off)[1], what, fmt::format("tensor {}: data_offsets[1]", name));
  if (e.begin > e.end) fail(what, fmt::format("tensor {}: data_offsets [{}, {}] end before they begin", name, e.begin, e.end));
  if (e.end > data_size)
    fail(what, fmt::format("tensor {}: data_offsets [{}, {}] run past the end of the data ({} bytes)", name, e.begin, e.end,
                           data_size));
  if (e.end - e.begin != bytes)
    fail(what, fmt::format("tensor {}: {} x {} needs {} bytes, but data_offsets [{}, {}] hold {}", name, e.dtype,
                           sh->dump(), bytes, e.begin, e.end, e.end - e.begin));
  for (auto it = v.begin(); it != v.end(); ++it)
    if (it.key() != "dtype" && it.key() != "shape" && it.key() != "data_offsets")
      fail(what, fmt::format("tensor {}: unexpected field \"{}\"", name, it.key()));
  return e;
}

}  // namespace

size_t safetensors_dtype_size(const std::string& d) {
  if (d == "F64" || d == "I64" || d == "U64") return 8;
  if (d == "F32" || d == "I32" || d == "U32") return 4;
  if (d == "F16" || d == "BF16" || d == "I16" || d == "U16") return 2;
  if (d == "I8" || d == "U8" || d == "BOOL" || d == "F8_E4M3" || d == "F8_E5M2") return 1;
  return 0;
}

SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> prefix, uint64_t file_size, const std::string& what) {
  if (file_size < 8 || prefix.size() < 8)
    fail(what, fmt::format("{} bytes, too short for the 8-byte header length", file_size));
  uint64_t n = 0;
  for (int i = 7; i >= 0; --i) n = (n << 8) | prefix[size_t(i)];  // little-endian
  if (n == 0) fail(what, "header length is 0");
  if (n > kMaxSafetensorsHeader) fail(what, fmt::format("header length {} exceeds the {}-byte limit", n, kMaxSafetensorsHeader));
  if (n > file_size - 8) fail(what, fmt::format("header length {} runs past the end of the file ({} bytes)", n, file_size));
  if (prefix.size() < 8 + n) fail(what, "header not fully read");

  nlohmann::json j;
  try {
    j = nlohmann::json::parse(prefix.begin() + 8, prefix.begin() + 8 + static_cast<std::ptrdiff_t>(n));
  } catch (const nlohmann::json::exception& e) {
    fail(what, fmt::format("header is not valid JSON ({})", e.what()));
  }
  if (!j.is_object()) fail(what, "header is not a JSON object");

  SafetensorsHeader h;
  h.data_start = 8 + n;
  const uint64_t data_size = file_size - h.data_start;
  for (auto it = j.begin(); it != j.end(); ++it) {
    if (it.key() == "__metadata__") {
      if (!it->is_object()) fail(what, "__metadata__ is not an object");
      for (auto m = it->begin(); m != it->end(); ++m) {
        if (!m->is_string()) fail(what, fmt::format("__metadata__ value of \"{}\" is not a string", m.key()));
        h.metadata[m.key()] = m->get<std::string>();
      }
      continue;
    }
    h.tensors.push_back(parse_entry(it.key(), *it, data_size, what));
  }
  std::sort(h.tensors.begin(), h.tensors.end(), [](const auto& a, const auto& b) {
    return a.begin != b.begin ? a.begin < b.begin : a.end < b.end;
  });
  for (size_t i = 1; i < h.tensors.size(); ++i) {
    const auto &a = h.tensors[i - 1], &b = h.tensors[i];
    if (b.begin < a.end)
      fail(what, fmt::format("tensors {} [{}, {}] and {} [{}, {}] overlap", a.name, a.begin, a.end, b.name, b.begin, b.end));
  }
  return h;
}

SafetensorsFile::SafetensorsFile(fs::path path) : path_(std::move(path)) {
  try {
    file_ = MappedFile::open(path_, "safetensors file");
  } catch (const std::runtime_error& e) {
    throw SafetensorsError(e.what());
  }
  // The whole file is the prefix: the parser reads only what the header length says it may.
  header_ = parse_safetensors_header({file_->data(), size_t(file_->size())}, file_->size(), path_.string());
  for (size_t i = 0; i < header_.tensors.size(); ++i) index_[header_.tensors[i].name] = i;
}

const SafetensorsEntry* SafetensorsFile::find(const std::string& name) const {
  const auto it = index_.find(name);
  return it == index_.end() ? nullptr : &header_.tensors[it->second];
}

std::shared_ptr<const uint8_t> SafetensorsFile::read(const SafetensorsEntry& e) const {
  return file_->view(header_.data_start + e.begin, e.end - e.begin);  // in bounds: the header was checked against the file
}

}  // namespace mtb
