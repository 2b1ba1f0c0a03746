// A model file mapped read-only into memory once (POSIX mmap: Linux and macOS), so tensors are read
// without a per-tensor open, read() and buffer copy: a float tensor is a view into the mapping,
// which stays mapped as long as any view of it is alive.
#pragma once
#include <cstdint>
#include <filesystem>
#include <memory>

namespace mtb {

class MappedFile : public std::enable_shared_from_this<MappedFile> {
 public:
  // Throws "<what> <path>: cannot open|map: <reason>".
  static std::shared_ptr<const MappedFile> open(const std::filesystem::path& path, const char* what = "model file");
  MappedFile(const MappedFile&) = delete;
  MappedFile& operator=(const MappedFile&) = delete;
  ~MappedFile();

  const uint8_t* data() const { return data_; }
  uint64_t size() const { return size_; }
  // Bytes [offset, offset + n) as a pointer that keeps the mapping alive; the caller checks bounds.
  // When the last copy of the pointer goes, the range's pages leave this process (madvise
  // DONTNEED; they stay in the page cache): a model loaded tensor by tensor then does not also
  // count the whole file in its resident memory, as it did not when tensors were read() copies.
  std::shared_ptr<const uint8_t> view(uint64_t offset, uint64_t n) const;

 private:
  MappedFile() = default;
  const uint8_t* data_ = nullptr;
  uint64_t size_ = 0;
};

}  // namespace mtb
