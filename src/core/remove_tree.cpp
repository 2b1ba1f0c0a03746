#include "core/remove_tree.h"

#include <ftw.h>

#include <cstdio>

namespace mtb {

void remove_tree(const std::filesystem::path& p) {
  // Depth first (FTW_DEPTH): a folder's contents before the folder; links not followed (FTW_PHYS).
  auto remove_one = [](const char* f, const struct stat*, int, struct FTW*) {
    std::remove(f);  // errors ignored: a cleanup
    return 0;        // go on
  };
  nftw(p.c_str(), remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

}  // namespace mtb
