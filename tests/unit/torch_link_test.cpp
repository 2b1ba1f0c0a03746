// Every program that links torch calls libstdc++'s own std::filesystem: pip torch's Linux wheels
// export a private copy of it, whose remove_all crashed `mtb ops` (src/CMakeLists.txt says how the
// link order prevents that). This test program links torch the way mtb does.
#include <dlfcn.h>
#include <gtest/gtest.h>

#include <filesystem>
#include <string>

namespace fs = std::filesystem;

TEST(TorchLink, StdFilesystemComesFromLibstdcxx) {
#if defined(__GLIBCXX__) && defined(__linux__)
  using RemoveAll = std::uintmax_t (*)(const fs::path&, std::error_code&);
  Dl_info info{};
  ASSERT_NE(dladdr(reinterpret_cast<void*>(static_cast<RemoveAll>(&fs::remove_all)), &info), 0);
  ASSERT_NE(info.dli_fname, nullptr);
  EXPECT_NE(std::string(info.dli_fname).find("libstdc++"), std::string::npos)
      << "std::filesystem::remove_all is bound to " << info.dli_fname;
  // And it works: a folder tree goes.
  const fs::path d = fs::temp_directory_path() / ("mtb-torch-link-" + std::to_string(getpid()));
  fs::create_directories(d / "a" / "b");
  std::error_code ec;
  EXPECT_EQ(fs::remove_all(d, ec), 3u) << ec.message();
  EXPECT_FALSE(fs::exists(d));
#else
  GTEST_SKIP() << "the interposition this guards against is a GNU/Linux linking matter";
#endif
}
