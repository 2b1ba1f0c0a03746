// Small deterministic random numbers: same seed, same stream on every platform and compiler
// (std:: distributions are implementation-defined, so they cannot give byte-identical models).
#pragma once
#include <cmath>
#include <cstdint>

namespace mtb {

struct SplitMix64 {
  uint64_t state;
  explicit SplitMix64(uint64_t seed) : state(seed) {}
  uint64_t next() {
    uint64_t z = (state += 0x9e3779b97f4a7c15ull);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    return z ^ (z >> 31);
  }
  // Uniform in (0, 1): 53 random bits, never exactly 0 (Box-Muller takes its log).
  double uniform() { return (double(next() >> 11) + 0.5) * (1.0 / 9007199254740992.0); }
};

inline uint64_t mix_seed(uint64_t a, uint64_t b, uint64_t c = 0) {
  SplitMix64 r(a ^ (b * 0x9e3779b97f4a7c15ull) ^ (c * 0xc2b2ae3d27d4eb4full));
  r.next();
  return r.next();
}

// Near-normal draws with unit variance from one 64-bit number: the sum of four 16-bit uniforms
// (Irwin-Hall), centred and scaled. Integer arithmetic only, so bit-identical on every platform and
// fast enough to synthesize a 7B model in a minute; its tails stop at 3.46 sigma, like the truncated
// normal many models are initialised with.
inline float irwin_hall_normal(uint64_t bits) {
  const uint32_t sum = uint32_t(bits & 0xffff) + uint32_t((bits >> 16) & 0xffff) + uint32_t((bits >> 32) & 0xffff) +
                       uint32_t(bits >> 48);
  // mean of the sum 4 * 32767.5, variance 4 * (65536^2 - 1) / 12
  return float((double(sum) - 131070.0) * (1.0 / 37837.2));
}

// Standard normal pairs by Box-Muller; deterministic given the generator state.
struct NormalSource {
  SplitMix64 rng;
  bool has_spare = false;
  double spare = 0;
  explicit NormalSource(uint64_t seed) : rng(seed) {}
  double next() {
    if (has_spare) {
      has_spare = false;
      return spare;
    }
    const double u1 = rng.uniform(), u2 = rng.uniform();
    const double r = std::sqrt(-2.0 * std::log(u1));
    spare = r * std::sin(6.283185307179586 * u2);
    has_spare = true;
    return r * std::cos(6.283185307179586 * u2);
  }
};

}  // namespace mtb
