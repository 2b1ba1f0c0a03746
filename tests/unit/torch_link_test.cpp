// pip torch's Linux wheels export a private copy of libstdc++'s std::filesystem that serves the calls
// of any program linking torch (even with libstdc++ linked first), and its remove_all crashed
// `mtb ops` on the H100. mtb removes folders with remove_tree instead; this program links torch the
// way mtb does, says where remove_all is bound, and checks that remove_tree works here.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/remove_tree.h"

namespace fs = std::filesystem;

TEST(TorchLink, FoldersGoWithoutStdFilesystemRemoveAll) {
#if defined(__GLIBCXX__) && defined(__linux__)
  using RemoveAll = std::uintmax_t (*)(const fs::path&, std::error_code&);
  Dl_info info{};
  if (dladdr(reinterpret_cast<void*>(static_cast<RemoveAll>(&fs::remove_all)), &info) != 0 && info.dli_fname &&
      std::string(info.dli_fname).find("libstdc++") == std::string::npos)
    std::printf("note: std::filesystem::remove_all is bound to %s, not libstdc++\n", info.dli_fname);
#endif
  const fs::path d = fs::temp_directory_path() / ("mtb-torch-link-" + std::to_string(getpid()));
  fs::create_directories(d / "a" / "b");
  std::ofstream(d / "a" / "f") << "x";
  mtb::remove_tree(d);
  EXPECT_FALSE(fs::exists(d));
}
