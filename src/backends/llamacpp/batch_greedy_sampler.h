// The greedy choice of every sequence of a decode step in one ggml_argmax, through llama.cpp's
// custom-sampler interface (llama.h, llama_sampler_i), with only the chosen tokens read back.
#pragma once
#include <memory>

struct llama_sampler;

namespace mtb {

// What the samplers of one context share: the step's one argmax over all output rows.
struct BatchGreedyShared;

// One per sequence (llama_context_params.samplers binds a sampler to a sequence), all made with the
// same `shared`, which each holds. Free each with llama_sampler_free.
std::shared_ptr<BatchGreedyShared> make_batch_greedy_shared();
llama_sampler* batch_greedy_sampler(const std::shared_ptr<BatchGreedyShared>& shared);

}  // namespace mtb
