// When a harness stops repeating a timed quantity (nvbench's stopping criteria): asked after every
// sample, given the samples so far and the timed seconds spent. Harnesses take one, so tests can
// script it; the rules here are the ones mtb's options name.
#pragma once
#include <cstddef>
#include <span>
#include <string>

namespace mtb {

class StoppingRule {
 public:
  virtual ~StoppingRule() = default;
  // "" to go on; else why it stops ("converged", "time cap", "max reps").
  virtual std::string stop(std::span<const double> samples, double elapsed_s) = 0;
};

// `mtb llm --ci-stop`: stop once the 95% interval of the median is within ±rel of it
// (core/stats.h median_precise), after `min_n` samples. rel 0: never (the repetition count decides).
class MedianWithin final : public StoppingRule {
 public:
  MedianWithin(double rel, int min_n) : rel_(rel), min_n_(min_n) {}
  std::string stop(std::span<const double> samples, double elapsed_s) override;

 private:
  double rel_;
  int min_n_;
};

// `mtb ops`: converged as above (checked at growing intervals, since a check sorts the samples), or
// `time_cap_s` of timed work with two samples or more, or `max_n` samples.
class ConvergedOrCapped final : public StoppingRule {
 public:
  ConvergedOrCapped(double rel, int min_n, double time_cap_s, size_t max_n = 100000)
      : rel_(rel), min_n_(min_n), time_cap_s_(time_cap_s), max_n_(max_n), next_check_(static_cast<size_t>(min_n > 2 ? min_n : 2)) {}
  std::string stop(std::span<const double> samples, double elapsed_s) override;

 private:
  double rel_;
  int min_n_;
  double time_cap_s_;
  size_t max_n_;
  size_t next_check_;
};

}  // namespace mtb
