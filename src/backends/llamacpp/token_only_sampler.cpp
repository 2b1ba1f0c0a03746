// llama.cpp's backend sampling (llama_context_params.samplers) copies each sampled row's logits to
// the host after every decode step as well as the chosen token, because its greedy sampler leaves
// the graph's logits tensor as an output of the chain (llama-graph.cpp: build_sampling keeps
// data.logits; llama-context.cpp copies it into the sampled-logits buffer). For a 152k vocabulary
// that is 600 KB across PCIe a step, by calculation ~25 us, 2-3% of a 0.5B model's ~1 ms decode step
// on an H100 or H200, which llama-bench, reading nothing, never pays. A benchmark wants only the token: this sampler, last in
// the chain, clears the logits output through llama.cpp's own custom-sampler interface (llama.h,
// llama_sampler_i), so the argmax stays llama.cpp's (ggml_argmax in its graph) and only its result
// crosses back.
#include "backends/llamacpp/token_only_sampler.h"

#include "llama.h"

namespace mtb {
namespace {

const char* name(const llama_sampler*) { return "mtb-token-only"; }

// On the host path (a device without backend sampling) the greedy sampler before it has chosen.
void apply(llama_sampler*, llama_token_data_array*) {}

// It adds no operation, so any device supports it.
bool backend_init(llama_sampler*, ggml_backend_buffer_type_t, uint32_t) { return true; }

void backend_apply(llama_sampler*, ggml_context*, ggml_cgraph*, llama_sampler_data* data) { data->logits = nullptr; }

// No state: copying between two of them is nothing.
void copy_state(const llama_sampler*, llama_sampler*) {}

llama_sampler* clone(const llama_sampler*) { return token_only_sampler(); }

llama_sampler_i token_only_iface = {
    /* .name              = */ name,
    /* .accept            = */ nullptr,
    /* .apply             = */ apply,
    /* .reset             = */ nullptr,
    /* .clone             = */ clone,
    /* .free              = */ nullptr,
    /* .backend_init      = */ backend_init,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ backend_apply,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ nullptr,
    /* .copy_state        = */ copy_state,
};

}  // namespace

llama_sampler* token_only_sampler() { return llama_sampler_init(&token_only_iface, nullptr); }

}  // namespace mtb
