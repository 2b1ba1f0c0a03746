// Deletes a folder and everything in it, like std::filesystem::remove_all, without calling it: pip
// torch's Linux wheels export a private copy of libstdc++'s std::filesystem, which binds ahead of
// libstdc++'s in programs that link torch, and its remove_all calls through a null pointer (torch
// 2.11: `mtb ops` died removing its reference cache). Errors are ignored: a cleanup.
#pragma once
#include <filesystem>

namespace mtb {

void remove_tree(const std::filesystem::path& p);

}  // namespace mtb
