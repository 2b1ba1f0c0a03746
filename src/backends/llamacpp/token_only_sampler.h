// A sampler for the end of a llama.cpp sampler chain that says only the chosen token is wanted.
#pragma once

struct llama_sampler;

namespace mtb {

// Placed after llama.cpp's greedy sampler in a backend sampler chain, it drops the chain's logits
// output, so each decode step brings back the one token id and not the vocabulary's logits (see
// the .cpp for why that is needed). It adds no operation and changes no choice. Free it with the
// chain that holds it (llama_sampler_free).
llama_sampler* token_only_sampler();

}  // namespace mtb
