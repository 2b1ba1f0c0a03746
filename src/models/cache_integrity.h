// The model cache's integrity: a synthesized file's size and checksum are recorded beside it at
// synthesis (<file>.check) and checked before the file is reused, so a truncated or damaged file is
// made again, never loaded; temporaries left by a synthesis that was killed are removed.
#pragma once
#include <filesystem>
#include <string>

namespace mtb {

// The record beside `file`: <file>.check.
std::filesystem::path check_file_of(const std::filesystem::path& file);

// Records the size and checksum of `written` (a finished temporary) as those of `file`, which it is
// about to become: written before the rename, so a file in the cache always has its record.
void record_integrity(const std::filesystem::path& written, const std::filesystem::path& file);

// "" when `file` matches its record; else why not, in words. A file without a record (cached by an
// mtb before checksums) is recorded as it is now. The checksum is read only when the file's
// modification time is not the recorded one; a whole file's record then takes the new time.
std::string integrity_problem(const std::filesystem::path& file);

// Removes from `dir` the temporaries of syntheses whose process is gone ("<name>.tmp<pid>"), saying
// so on stderr: a synthesis killed mid-file leaves one, gigabytes for a large model.
void remove_dead_temporaries(const std::filesystem::path& dir);

}  // namespace mtb
