// Every program that links torch calls libstdc++'s own std::filesystem: pip torch's Linux wheels
// export a private copy of it, whose remove_all crashed `mtb ops` (src/CMakeLists.txt says how the
// link order prevents that). This test program links torch the way mtb does.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <cstdio>
#include <fstream>
#include <string>

#include "core/remove_tree.h"

namespace fs = std::filesystem;

TEST(TorchLink, StdFilesystemComesFromLibstdcxx) {
#if defined(__GLIBCXX__) && defined(__linux__)
  using RemoveAll = std::uintmax_t (*)(const fs::path&, std::error_code&);
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(static_cast<RemoveAll>(&fs::remove_all)), &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  // Where it is bound elsewhere (pip torch's libtorch.so on Linux, even with libstdc++ linked first),
  // mtb must not call it: remove_tree stands in.
  if (std::string(info.dli_fname).find("libstdc++") == std::string::npos)
    std::printf("note: std::filesystem::remove_all is bound to %s\n", info.dli_fname);
  const fs::path d = fs::temp_directory_path() / ("mtb-torch-link-" + std::to_string(getpid()));
  fs::create_directories(d / "a" / "b");
  std::ofstream(d / "a" / "f") << "x";
  mtb::remove_tree(d);
  EXPECT_FALSE(fs::exists(d));
#else
  GTEST_SKIP() << "the interposition this guards against is a GNU/Linux linking matter";
#endif
}
