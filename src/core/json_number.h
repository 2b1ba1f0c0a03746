// JSON into C++ values as nlohmann's get<T>() reads it, except that a number must fit the integer it
// becomes: get<int>() of 1e30 is undefined behaviour and of 2^40 a wrapped value, and every record,
// config and server message mtb reads is outside input. A number that does not fit is a
// json::out_of_range, an error like a value of the wrong type (json::type_error).
#pragma once
#include <limits>
#include <nlohmann/json.hpp>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

namespace mtb {

// Whether `j`, a JSON number, lies in integer type T (a float is truncated towards zero, as get does).
template <class T>
bool json_number_fits(const nlohmann::json& j) {
  if (j.is_number_unsigned()) return std::in_range<T>(j.get<uint64_t>());
  if (j.is_number_integer()) return std::in_range<T>(j.get<int64_t>());
  const double d = j.get<double>();  // NaN fails both comparisons
  return d >= double(std::numeric_limits<T>::min()) && d < double(std::numeric_limits<T>::max()) + 1.0;
}

template <class T>
constexpr bool is_integer_v = std::is_integral_v<T> && !std::is_same_v<T, bool>;
template <class T>
struct is_integer_vector : std::false_type {};
template <class E>
struct is_integer_vector<std::vector<E>> : std::bool_constant<is_integer_v<E>> {};

template <class T>
T json_get(const nlohmann::json& j) {
  if constexpr (is_integer_v<T>) {
    if (j.is_number() && !json_number_fits<T>(j))
      throw nlohmann::json::out_of_range::create(406, "number " + j.dump() + " does not fit the field's integer type", &j);
  } else if constexpr (is_integer_vector<T>::value) {
    if (j.is_array()) {
      T out;
      out.reserve(j.size());
      for (const auto& e : j) out.push_back(json_get<typename T::value_type>(e));
      return out;
    }
  }
  return j.get<T>();
}

// A member of an object as json_get reads it, `fallback` where the key is absent.
template <class T>
T json_value(const nlohmann::json& j, const char* key, const T& fallback) {
  if (!j.is_object()) return j.value(key, fallback);  // nlohmann's own error for a non-object
  const auto it = j.find(key);
  return it == j.end() ? fallback : json_get<T>(*it);
}

}  // namespace mtb

// NLOHMANN_DEFINE_TYPE_NON_INTRUSIVE_WITH_DEFAULT, reading each member through json_value: the
// records' nested types (a Summary's n, a Verification's worst_index ...) come from outside files.
#define MTB_JSON_FROM_CHECKED(v1) nlohmann_json_t.v1 = ::mtb::json_value(nlohmann_json_j, #v1, nlohmann_json_default_obj.v1);
#define MTB_JSON_TYPE_WITH_DEFAULT(Type, ...)                                                                        \
  inline void to_json(nlohmann::json& nlohmann_json_j, const Type& nlohmann_json_t) {                                \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(NLOHMANN_JSON_TO, __VA_ARGS__))                                         \
  }                                                                                                                  \
  inline void from_json(const nlohmann::json& nlohmann_json_j, Type& nlohmann_json_t) {                              \
    const Type nlohmann_json_default_obj{};                                                                          \
    NLOHMANN_JSON_EXPAND(NLOHMANN_JSON_PASTE(MTB_JSON_FROM_CHECKED, __VA_ARGS__))                                    \
  }
