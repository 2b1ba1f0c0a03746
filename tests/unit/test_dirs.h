// A fresh, empty folder per test under the build tree.
#pragma once
#include <gtest/gtest.h>

#include <filesystem>
#include <fstream>
#include <iterator>
#include <string>

#include "core/remove_tree.h"

inline std::filesystem::path fresh_test_dir() {
  const auto* info = ::testing::UnitTest::GetInstance()->current_test_info();
  const std::filesystem::path d =
      std::filesystem::path(MTB_TEST_TMP) / (std::string(info->test_suite_name()) + "." + info->name());
  mtb::remove_tree(d);  // not std::filesystem::remove_all: see core/remove_tree.h
  std::filesystem::create_directories(d);
  return d;
}

inline std::string slurp(const std::filesystem::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}
