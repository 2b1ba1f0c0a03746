// Checks the shape of this folder's manifests without a cluster: each document against the Kubernetes
// API's own schema (the npm package kubernetes-models: types, required fields, enums), then the
// contract mtb's shards need (an Indexed Job whose index is --shard, N said once, one shared volume),
// then that broken copies are refused, so the check is known to catch what it claims to.
//
//   node deploy/kubernetes/check-manifests.mjs [NODE_MODULES]   (default: third_party/npm/node_modules,
//                                                                 installed by scripts/setup.sh --tests)
import { readFileSync, existsSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const here = dirname(fileURLToPath(import.meta.url));
const modules = resolve(process.argv[2] ?? join(here, "../../third_party/npm/node_modules"));
if (!existsSync(join(modules, "kubernetes-models")) || !existsSync(join(modules, "yaml")))
  throw new Error(`${modules} lacks kubernetes-models or yaml: run scripts/setup.sh --tests`);
const load = (p) => import(pathToFileURL(join(modules, p)).href);
const { parseAllDocuments } = await load("yaml/dist/index.js");
const { Job } = await load("kubernetes-models/batch/v1/index.js");
const { PersistentVolumeClaim } = await load("kubernetes-models/v1/index.js");
const models = { "batch/v1/Job": Job, "v1/PersistentVolumeClaim": PersistentVolumeClaim };

function documents(file) {
  return parseAllDocuments(readFileSync(join(here, file), "utf8")).map((d) => {
    if (d.errors.length) throw new Error(`${file}: ${d.errors[0].message}`);
    return d.toJS();
  });
}

function validate(file, doc) {
  const model = models[`${doc.apiVersion}/${doc.kind}`];
  if (!model) throw new Error(`${file}: no schema here for ${doc.apiVersion} ${doc.kind}`);
  new model(doc).validate();  // throws naming the path: data/spec/parallelism must be integer
}

const env = (c, name) => (c.env ?? []).find((e) => e.name === name)?.value;
const script = (c) => [...(c.command ?? []), ...(c.args ?? [])].join(" ");
function must(ok, what) {
  if (!ok) throw new Error(what);
}

// What mtb's shards need of the manifests, beyond the API's schema.
function contract(shards, report, pvc) {
  const s = shards.spec, pod = s.template.spec, c = pod.containers[0];
  must(s.completionMode === "Indexed", "mtb-shards: completionMode must be Indexed (JOB_COMPLETION_INDEX is the shard)");
  const n = Number(env(c, "MTB_SHARDS"));
  must(s.completions === n && s.parallelism === n, `mtb-shards: completions ${s.completions}, parallelism ${s.parallelism} and MTB_SHARDS ${n} must be one N`);
  const cmd = script(c);
  for (const part of ["--plan /plan/plan.json", '--shard "$JOB_COMPLETION_INDEX/$MTB_SHARDS"', "--measurements /data/measurements"])
    must(cmd.includes(part), `mtb-shards: the command lacks ${part}: ${cmd}`);
  must(pod.restartPolicy === "Never", "mtb-shards: restartPolicy Never: a retried index is a new pod that resumes its shard");
  for (const job of [shards, report]) {
    const p = job.spec.template.spec, mounts = p.containers[0].volumeMounts ?? [];
    const claim = p.volumes.find((v) => v.persistentVolumeClaim)?.persistentVolumeClaim.claimName;
    must(claim === pvc.metadata.name, `${job.metadata.name}: the measurements volume must be the claim ${pvc.metadata.name}, not ${claim}`);
    must(mounts.some((m) => m.mountPath === "/data") && mounts.some((m) => m.mountPath === "/plan"),
         `${job.metadata.name}: mounts /data (the store) and /plan (the plan) are needed`);
  }
  must(pvc.spec.accessModes.includes("ReadWriteMany"), "mtb-measurements: pods on several nodes write it: ReadWriteMany");
  const r = script(report.spec.template.spec.containers[0]);
  must(r.includes("mtb plan-status /plan/plan.json /data/measurements") && r.includes("mtb report /data/measurements"),
       `mtb-report: runs plan-status and report over /data/measurements: ${r}`);
  must(env(report.spec.template.spec.containers[0], "MTB_SHARDS") === env(c, "MTB_SHARDS"), "mtb-report: MTB_SHARDS differs from the shards'");
}

function check(docs) {
  for (const [file, doc] of Object.entries(docs)) validate(file, doc);
  contract(docs["mtb-shards.yaml"], docs["mtb-report.yaml"], docs["mtb-measurements-pvc.yaml"]);
}

const docs = {};
for (const file of ["mtb-shards.yaml", "mtb-report.yaml", "mtb-measurements-pvc.yaml"]) {
  const d = documents(file);
  must(d.length === 1, `${file}: one document expected, found ${d.length}`);
  docs[file] = d[0];
}
check(docs);
console.log("mtb-shards.yaml, mtb-report.yaml, mtb-measurements-pvc.yaml: valid batch/v1 Job, Job, v1 PersistentVolumeClaim; shard contract holds");

// Broken copies must be refused, each for its own reason.
const broken = {
  "parallelism as text": (d) => (d["mtb-shards.yaml"].spec.parallelism = "4"),
  "completionMode misspelt": (d) => (d["mtb-shards.yaml"].spec.completionMode = "Indexd"),
  "a container without a name": (d) => delete d["mtb-shards.yaml"].spec.template.spec.containers[0].name,
  "the shard not from the index": (d) => (d["mtb-shards.yaml"].spec.template.spec.containers[0].args = ["mtb llm --plan /plan/plan.json --shard 0/4"]),
  "N said twice, differently": (d) => (d["mtb-shards.yaml"].spec.completions = 5),
  "a volume only one node may write": (d) => (d["mtb-measurements-pvc.yaml"].spec.accessModes = ["ReadWriteOnce"]),
};
for (const [what, breakIt] of Object.entries(broken)) {
  const copy = structuredClone(docs);
  breakIt(copy);
  let refused = null;
  try {
    check(copy);
  } catch (e) {
    refused = e.message.split("\n")[0];
  }
  must(refused, `a manifest with ${what} passed the check`);
  console.log(`refused, as it must be: ${what}: ${refused}`);
}
