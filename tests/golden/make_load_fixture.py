# One-off: a run folder of serving-load records (two closed-loop concurrencies and an open loop of a
# server, beside in-process batch 1 and 4) for the golden pages and the browser test's load charts.
import json, os
hw = "Test_EPYC_2C_24GB"
d = os.path.join("fixtures/measurements/llm_benchmarks", hw, "2026-12-02__10:00:00")
os.makedirs(d, exist_ok=True)
def summ(xs):
    import statistics as st
    if not xs: return {"n": 0, "median": 0, "mean": 0, "stddev": 0, "min": 0, "max": 0, "ci95_lo": 0, "ci95_hi": 0}
    m = st.mean(xs); sd = st.stdev(xs) if len(xs) > 1 else 0
    return {"n": len(xs), "median": st.median(xs), "mean": m, "stddev": sd, "min": min(xs), "max": max(xs), "ci95_lo": m - sd, "ci95_hi": m + sd}
def pct(xs):
    xs = sorted(xs)
    def at(q):
        pos = q * (len(xs) - 1); lo = int(pos); hi = min(lo + 1, len(xs) - 1)
        return 1e3 * (xs[lo] + (pos - lo) * (xs[hi] - xs[lo]))
    return {"n": len(xs), "mean": 1e3 * sum(xs) / len(xs), "median": at(0.5), "p90": at(0.9), "p99": at(0.99)}
def base(backend, batch=1, load=None):
    r = {"model": "qwen-2.5-0.5b-it", "backend": backend, "device": "cpu", "precision": "q4_0", "n_prompt": 64, "n_gen": 8,
         "n_depth": 0, "batch_size": batch, "n_threads": 0, "reps": 3, "warmup": 1, "seed": 42, "timeout_s": 0,
         "status": "ok", "error": "", "model_type": "qwen2", "model_size": 350000000, "model_n_params": 494000000,
         "started_at": "2026-12-02T10:00:00Z", "wall_s": 2.0, "backend_version": backend + " 1.0", "device_name": "AMD EPYC",
         "peak_rss_bytes": 800000000}
    if load: r["load"] = load
    return r
recs = []
for batch, gen in [(1, [0.25, 0.26, 0.25]), (4, [0.40, 0.41, 0.40])]:
    r = base("llamacpp", batch)
    r["samples_prompt_s"] = [0.1, 0.1, 0.1]; r["samples_gen_s"] = gen
    r["prompt_tps"] = summ([64 * batch / s for s in r["samples_prompt_s"]]); r["gen_tps"] = summ([8 * batch / s for s in gen])
    r["ttft_s"] = summ(r["samples_prompt_s"])
    recs.append(r)
def load_record(conc, rate, ttft, gap, n=8):
    load = {"concurrency": conc, "request_rate": rate, "burstiness": 1, "num_requests": n, "duration_s": 0,
            "warmup_requests": 1, "shared_prefix": 0, "slo_ttft_ms": 0, "slo_tpot_ms": 0}
    r = base("server", 1, load)
    rows = []
    for i in range(n):
        send = (i // max(conc, 1)) * (ttft + 8 * gap) if rate == 0 else i / rate
        first = send + ttft
        toks = [first + k * gap for k in range(9)]
        rows.append({"send_s": send, "first_token_s": first, "end_s": toks[-1], "token_s": toks, "prompt_tokens": 64, "output_tokens": 9, "error": ""})
    dur = max(x["end_s"] for x in rows) - min(x["send_s"] for x in rows)
    r["requests"] = rows
    r["load_metrics"] = {"completed": n, "failed": 0, "failures": {}, "duration_s": dur, "request_throughput": n / dur,
                         "output_throughput": 9 * n / dur, "total_throughput": 73 * n / dur, "goodput": n / dur,
                         "ttft_ms": pct([ttft] * n), "tpot_ms": pct([gap] * n), "itl_ms": pct([gap] * 8 * n), "e2e_ms": pct([ttft + 8 * gap] * n)}
    return r
recs += [load_record(1, 0, 0.05, 0.03), load_record(4, 0, 0.08, 0.05), load_record(4, 2.0, 0.06, 0.04)]
settings = {"datetime": "2026-12-02__10:00:00", "hardware_info": {"hardware_string": hw, "chip": "AMD EPYC 7B13", "memory": "24", "total_cores": "2"},
            "plan": {"axes": {}, "cases": []}, "finished": True}
json.dump(settings, open(os.path.join(d, "settings.json"), "w"), indent=2)
with open(os.path.join(d, "results.jsonl"), "w") as f:
    for r in recs: f.write(json.dumps(r) + "\n")
