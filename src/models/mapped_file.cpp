#include "models/mapped_file.h"

#include <fcntl.h>
#include <fmt/format.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include <algorithm>
#include <cerrno>
#include <cstring>
#include <stdexcept>

namespace mtb {

std::shared_ptr<const MappedFile> MappedFile::open(const std::filesystem::path& path, const char* what) {
  const int fd = ::open(path.c_str(), O_RDONLY);
  if (fd < 0) throw std::runtime_error(fmt::format("{} {}: cannot open: {}", what, path.string(), std::strerror(errno)));
  std::shared_ptr<MappedFile> f(new MappedFile);
  struct stat st {};
  if (fstat(fd, &st) != 0) {
    const int err = errno;
    ::close(fd);
    throw std::runtime_error(fmt::format("{} {}: cannot open: {}", what, path.string(), std::strerror(err)));
  }
  f->size_ = uint64_t(st.st_size);
  if (f->size_ > 0) {  // mmap refuses length 0; an empty file is an empty view
    void* p = mmap(nullptr, size_t(f->size_), PROT_READ, MAP_PRIVATE, fd, 0);
    const int err = errno;
    ::close(fd);  // the mapping keeps its own reference to the file
    if (p == MAP_FAILED) throw std::runtime_error(fmt::format("{} {}: cannot map: {}", what, path.string(), std::strerror(err)));
    f->data_ = static_cast<const uint8_t*>(p);
  } else {
    ::close(fd);
  }
  return f;
}

std::shared_ptr<const uint8_t> MappedFile::view(uint64_t offset, uint64_t n) const {
  return {data_ + offset, [file = shared_from_this(), offset, n](const uint8_t*) {
            // Whole pages around the range: dropping a page a neighbour still reads is harmless, it
            // faults back in from the page cache (the mapping is read-only, never written).
            const uint64_t page = uint64_t(sysconf(_SC_PAGESIZE)), begin = offset / page * page;
            const uint64_t end = std::min(file->size_, (offset + n + page - 1) / page * page);
            if (end > begin) madvise(const_cast<uint8_t*>(file->data_) + begin, size_t(end - begin), MADV_DONTNEED);
          }};
}

MappedFile::~MappedFile() {
  if (data_) munmap(const_cast<uint8_t*>(data_), size_t(size_));
}

}  // namespace mtb
