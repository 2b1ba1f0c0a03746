#include "core/remove_tree.h"

#include <ftw.h>

#include <cstdio>

namespace mtb {

void remove_tree(const std::filesystem::path& p) {
  // Depth first (FTW_DEPTH): a folder's contents before the folder; links not followed (FTW_PHYS).
  nftw(p.c_str(), [](const char* f, const struct stat*, int, struct FTW*) { return std::remove(f), 0; }, 16,
       FTW_DEPTH | FTW_PHYS);
}

}  // namespace mtb
