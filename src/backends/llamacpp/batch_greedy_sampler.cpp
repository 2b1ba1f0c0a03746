// Why a sampler of mtb's own, built of llama.cpp's and ggml's parts:
// - llama.cpp's stock greedy backend sampler, bound to one sequence, makes one ggml_argmax over one
//   logits row per sequence (llama-graph.cpp build_sampling: a 1-D view per row), so a decode step
//   of B sequences runs B argmax ops in sequence; on CUDA each is a one-block kernel over the whole
//   vocabulary (~45 us for 152k on an H100), 64 of them about 3 ms of a 12 ms step at batch 64.
//   Here the first sequence's sampler of a step makes one ggml_argmax over the [n_vocab, n_rows]
//   logits every row is a view of (ggml's own op: one block per row, all rows at once), and each
//   sampler hands llama.cpp the element of its row. The choice is the same argmax's.
// - The stock sampler also leaves the logits as an output of the chain, and llama.cpp copies each
//   step's rows to the host beside the token (600 KB a row for a 152k vocabulary); this one clears
//   that output, so only the token ids cross back, as llama-bench, which reads nothing, pays nothing.
#include "backends/llamacpp/batch_greedy_sampler.h"

#include <cstdlib>

#include "ggml.h"
#include "llama.h"

namespace mtb {

struct BatchGreedyShared {
  ggml_tensor* all_rows = nullptr;  // the argmax of this step's graph over every logits row
  const ggml_tensor* of = nullptr;  // the logits it was made of
  // MTB_LLAMACPP_ARGMAX_PER_ROW=1: an argmax per row, as llama.cpp's own greedy sampler makes them
  // (the tokens still alone read back), to measure what the one argmax saves (docs/backends.md).
  bool per_row = std::getenv("MTB_LLAMACPP_ARGMAX_PER_ROW") != nullptr;
};

namespace {

struct State {
  std::shared_ptr<BatchGreedyShared> shared;
};

const char* name(const llama_sampler*) { return "mtb-batch-greedy"; }

// The host path (a device without backend sampling): the argmax over the candidates' logits, as
// llama.cpp's greedy sampler takes it.
void apply(llama_sampler*, llama_token_data_array* cur) {
  cur->selected = 0;
  for (size_t i = 1; i < cur->size; ++i)
    if (cur->data[i].logit > cur->data[cur->selected].logit) cur->selected = static_cast<int64_t>(i);
}

bool backend_init(llama_sampler*, ggml_backend_buffer_type_t, uint32_t) { return true; }

// build_sampling resets every sampler before it applies any: a new graph, a new argmax.
void backend_reset(llama_sampler* s) {
  auto& shared = *static_cast<State*>(s->ctx)->shared;
  shared.all_rows = nullptr;
  shared.of = nullptr;
}

void backend_apply(llama_sampler* s, ggml_context* ctx, ggml_cgraph*, llama_sampler_data* data) {
  auto& shared = *static_cast<State*>(s->ctx)->shared;
  ggml_tensor* row = data->logits;           // a 1-D view of one row of the step's logits
  ggml_tensor* logits = row->view_src;       // [n_vocab, n_rows]: every row of the step
  if (shared.per_row || !logits || row->ne[0] != logits->ne[0]) {  // not a view of rows: one argmax of its own
    data->sampled = ggml_argmax(ctx, ggml_reshape_1d(ctx, row, ggml_nelements(row)));
  } else {
    if (shared.of != logits) {
      shared.all_rows = ggml_argmax(ctx, logits);  // I32 [n_rows]
      ggml_set_name(shared.all_rows, "batch_greedy_argmax");
      shared.of = logits;
    }
    const size_t i = row->view_offs / logits->nb[1];
    data->sampled = ggml_view_1d(ctx, shared.all_rows, 1, i * shared.all_rows->nb[0]);
  }
  data->logits = nullptr;  // the token alone comes back
}

void copy_state(const llama_sampler*, llama_sampler*) {}

llama_sampler* clone(const llama_sampler* s) { return batch_greedy_sampler(static_cast<const State*>(s->ctx)->shared); }

void free_state(llama_sampler* s) { delete static_cast<State*>(s->ctx); }

llama_sampler_i iface = {
    /* .name              = */ name,
    /* .accept            = */ nullptr,
    /* .apply             = */ apply,
    /* .reset             = */ nullptr,
    /* .clone             = */ clone,
    /* .free              = */ free_state,
    /* .backend_init      = */ backend_init,
    /* .backend_accept    = */ nullptr,
    /* .backend_apply     = */ backend_apply,
    /* .backend_set_input = */ nullptr,
    /* .backend_reset     = */ backend_reset,
    /* .copy_state        = */ copy_state,
};

}  // namespace

std::shared_ptr<BatchGreedyShared> make_batch_greedy_shared() { return std::make_shared<BatchGreedyShared>(); }

llama_sampler* batch_greedy_sampler(const std::shared_ptr<BatchGreedyShared>& shared) {
  return llama_sampler_init(&iface, new State{shared});
}

}  // namespace mtb
