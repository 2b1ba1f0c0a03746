// mtb's own safetensors reader: every header field and offset is checked against the file before a
// byte of tensor data is trusted, so a bad file is a clear error (SafetensorsError), never a crash.
#pragma once
#include <cstdint>
#include <filesystem>
#include <map>
#include <memory>
#include <span>
#include <stdexcept>
#include <string>
#include <vector>

namespace mtb {

class MappedFile;

struct SafetensorsError : std::runtime_error {
  using std::runtime_error::runtime_error;
};

struct SafetensorsEntry {
  std::string name;
  std::string dtype;  // as in the file: "F32", "BF16", ...
  std::vector<int64_t> shape;
  uint64_t begin = 0, end = 0;  // byte range relative to the start of the data section
};

struct SafetensorsHeader {
  uint64_t data_start = 0;  // 8 + header length
  std::vector<SafetensorsEntry> tensors;  // in file order of their data
  std::map<std::string, std::string> metadata;
};

// The most header a reader accepts (the format's reference implementation's limit).
constexpr uint64_t kMaxSafetensorsHeader = 100u << 20;

// Bytes per element of a dtype string, or 0 for one the format does not define.
size_t safetensors_dtype_size(const std::string& dtype);

// Parses and validates a header. `prefix` holds at least the file's first 8 + header-length bytes
// (or all of a shorter file); `file_size` is the whole file's size; `what` names the file in errors.
SafetensorsHeader parse_safetensors_header(std::span<const uint8_t> prefix, uint64_t file_size, const std::string& what);

class SafetensorsFile {
 public:
  explicit SafetensorsFile(std::filesystem::path path);  // maps the file, validates the header
  const SafetensorsHeader& header() const { return header_; }
  const SafetensorsEntry* find(const std::string& name) const;
  // The tensor's e.end - e.begin bytes: a view into the mapped file that keeps it mapped.
  std::shared_ptr<const uint8_t> read(const SafetensorsEntry& e) const;
  const std::filesystem::path& path() const { return path_; }

 private:
  std::filesystem::path path_;
  std::shared_ptr<const MappedFile> file_;
  SafetensorsHeader header_;
  std::map<std::string, size_t> index_;
};

}  // namespace mtb
