#!/usr/bin/python3
"""Golden fixtures for FundusLab's MoCo v2 pretraining update (test/golden/moco/moco.test.ts).

One command regenerates everything, from the repository root, with Debian's Python (torch 1.13,
torchvision 0.14; NOT the `python3` on PATH) and the project's node_modules (about 40 s):

    /usr/bin/python3 test/golden/moco/make_fixtures.py

1. FundusLab writes the inputs: export-inputs.ts (bundled with node_modules/.bin/esbuild next to
   node_modules, run with node on single-threaded wasm) writes into a temporary folder FundusLab's
   seeded initial MoCo state dict (query encoder, key encoder, projection heads, queue), the query
   and key views of every step (its own epoch shuffles, aug+ augmentations and normalisation; case.ts)
   and the learning rate of every step (its cosine schedule per epoch). Both sides therefore start
   from the same weights and see the same pixels.
2. The reference, MoCo v2 as facebookresearch/moco moco/builder.py builds it, on one device (no
   shuffle-BN, no all_gather): query and key encoders are torchvision's ResNet (the reduced-width
   ResNet of ../resnet/make_fixtures.py) whose fc becomes the MLP head Linear(dim_mlp, dim_mlp) →
   ReLU → Linear(dim_mlp, dim); the query encoder is loaded from FundusLab's initial state; the key
   encoder's parameters are copied from the query's (its BatchNorm buffers stay fresh), and the
   script stops unless that equals FundusLab's initial key encoder. Per step: q = normalize(f_q(x_q)),
   momentum update of the key encoder, k = normalize(f_k(x_k)) without gradient (train mode),
   logits [q·k₊, q·queue]/T, cross-entropy with label 0, dequeue-and-enqueue (queue [dim, K], K a
   multiple of the batch). main_moco.py's optimizer: SGD over the model's parameters, momentum 0.9,
   weight decay 1e-4, at the step's learning rate; zero_grad → backward → step. Acc@1 hits count a
   positive logit above every negative (main_moco.py's top-1 except on exact ties).
3. It runs in float64 (the oracle) and in float32 16 times: once from the exact initial state (torch
   float32's own error) and 15 times from initial states moved by at most one float32 rounding step
   per value (relative 2^-24). Their distance to float64 is the spread any float32 implementation
   has: it grows with the steps, and jumps where a pre-ReLU value within rounding of 0 changes side
   in one run (BatchNorm-bias gradients, small sums of large terms, then change by up to ~1e-1).
4. Writes beside this script:
   fixtures.json  the case; per step its epoch, learning rate, images, checksums of the views
                  (sum |x|, sum x²), the float64 loss and Acc@1 hits, torch float32's loss and hits,
                  the largest loss difference of the 16 float32 runs and their hits; checksums of
                  the initial state (sum |x| per tensor); after steps 1, 5 and 20, per tensor of
                  the MoCo state dict (the names and torch layouts of FundusLab's mocoStateDict:
                  module.encoder_q.* and module.encoder_k.* with the projection head fc.0/fc.2 and
                  the BatchNorm running statistics, module.queue [dim, K]) its offset and shape in
                  states.bin.gz, torch float32's error and the largest error of the 16 float32 runs
                  (‖x32 − x64‖∞ / ‖x64‖∞), each run's worst error, and the integer buffers
                  (num_batches_tracked, queue_ptr);
   states.bin.gz  the float64 run's tensors rounded to float32, little-endian, concatenated, gzip.
"""
import gzip
import json
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F

ENSEMBLE = 16  # float32 runs
HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.abspath(os.path.join(HERE, "..", "..", ".."))
sys.path.insert(0, os.path.join(HERE, "..", "resnet"))
from make_fixtures import ReducedResNet, load_safetensors, parse_arch  # noqa: E402


def export_inputs(out):
    """Runs export-inputs.ts (FundusLab's side) into `out`."""
    cache = os.path.join(REPO, "node_modules", ".cache", "funduslab-tests")
    os.makedirs(cache, exist_ok=True)
    bundle = os.path.join(cache, f"moco-export-inputs-{os.getpid()}.mjs")
    try:
        subprocess.run([os.path.join(REPO, "node_modules", ".bin", "esbuild"), os.path.join(HERE, "export-inputs.ts"), "--bundle",
                        "--platform=node", "--format=esm", "--packages=external", "--log-level=warning", f"--outfile={bundle}"],
                       check=True, cwd=REPO)
        subprocess.run(["node", bundle, out], check=True, cwd=REPO, env={**os.environ, "FUNDUSLAB_WASM_THREADS": "1"})
    finally:
        if os.path.exists(bundle):
            os.remove(bundle)


class MoCo(nn.Module):
    """MoCo v2 as builder.py, single device: no shuffle-BN, no all_gather."""

    def __init__(self, make_encoder, dim, K, m, T):
        super().__init__()
        self.K, self.m, self.T = K, m, T
        self.encoder_q = make_encoder(dim)
        self.encoder_k = make_encoder(dim)
        dim_mlp = self.encoder_q.fc.weight.shape[1]
        self.encoder_q.fc = nn.Sequential(nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), self.encoder_q.fc)
        self.encoder_k.fc = nn.Sequential(nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), self.encoder_k.fc)
        self.register_buffer("queue", F.normalize(torch.randn(dim, K), dim=0))
        self.register_buffer("queue_ptr", torch.zeros(1, dtype=torch.long))

    def init_key_encoder(self):
        for pq, pk in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            pk.data.copy_(pq.data)
            pk.requires_grad = False

    @torch.no_grad()
    def momentum_update(self):
        for pq, pk in zip(self.encoder_q.parameters(), self.encoder_k.parameters()):
            pk.data = pk.data * self.m + pq.data * (1.0 - self.m)

    @torch.no_grad()
    def dequeue_and_enqueue(self, keys):
        b = keys.shape[0]
        ptr = int(self.queue_ptr)
        assert self.K % b == 0
        self.queue[:, ptr:ptr + b] = keys.T
        self.queue_ptr[0] = (ptr + b) % self.K

    def forward(self, im_q, im_k):
        q = F.normalize(self.encoder_q(im_q), dim=1)
        with torch.no_grad():
            self.momentum_update()
            k = F.normalize(self.encoder_k(im_k), dim=1)
        l_pos = torch.einsum("nc,nc->n", q, k).unsqueeze(-1)
        l_neg = torch.einsum("nc,ck->nk", q, self.queue.clone().detach())
        logits = torch.cat([l_pos, l_neg], dim=1) / self.T
        labels = torch.zeros(logits.shape[0], dtype=torch.long)
        self.dequeue_and_enqueue(k)
        return logits, labels


def build(case, initial, check=True):
    depth, width = parse_arch(case["arch"])
    model = MoCo(lambda dim: ReducedResNet(depth, width, dim), case["dim"], case["queueSize"], case["momentum"], case["temperature"])
    sd = {n[len("module.encoder_q."):]: t for n, t in initial.items() if n.startswith("module.encoder_q.")}
    model.encoder_q.load_state_dict(sd, strict=True)
    model.init_key_encoder()
    # FundusLab's initial key encoder must be exactly this copy (parameters) with fresh BatchNorm buffers.
    for n, t in model.encoder_k.state_dict().items() if check else []:
        theirs = initial["module.encoder_k." + n]
        if not torch.equal(t, theirs.reshape(t.shape).to(t.dtype)):
            raise SystemExit(f"FundusLab's initial key encoder differs from the copy of its query encoder at {n}")
    model.queue.copy_(initial["module.queue"])
    model.queue_ptr.copy_(initial["module.queue_ptr"].reshape(1))
    return model


def state(model):
    """The MoCo state dict under FundusLab's mocoStateDict names (the official checkpoint's `module.` prefix)."""
    return {"module." + n: t.detach().clone() for n, t in model.state_dict().items()}


def perturbed(initial, seed):
    """The initial state with every float moved by at most one float32 rounding step (relative 2^-24, random sign)."""
    g = torch.Generator().manual_seed(seed)
    out = {}
    for n, t in initial.items():
        if t.is_floating_point():
            t = (t.double() * (1 + (torch.rand(t.shape, generator=g, dtype=torch.float64) * 2 - 1) * 2.0 ** -24)).float()
        out[n] = t
    return out


def run(case, initial, views, steps, dtype, check=True):
    torch.manual_seed(0)
    model = build(case, initial, check).to(dtype).train()
    optimizer = torch.optim.SGD(model.parameters(), case["lr"], momentum=case["sgdMomentum"], weight_decay=case["weightDecay"])
    losses, hits, margins, snapshots = [], [], [], {}
    for s, (xq, xk) in zip(steps, views):
        for g in optimizer.param_groups:
            g["lr"] = s["lr"]
        logits, labels = model(xq.to(dtype), xk.to(dtype))
        loss = F.cross_entropy(logits, labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        with torch.no_grad():
            margin = logits[:, 0] - logits[:, 1:].max(dim=1).values
        losses.append(float(loss))
        hits.append(int((margin > 0).sum()))
        margins.append(float(margin.abs().min()))
        if s["step"] in case["snapshots"]:
            snapshots[s["step"]] = state(model)
    return losses, hits, margins, snapshots


def rel(a, b):
    d = (a.double() - b.double()).abs().max()
    scale = b.double().abs().max()
    return float(d / scale) if scale > 0 else float(d)


def main():
    torch.set_num_threads(1)
    with tempfile.TemporaryDirectory(prefix="funduslab-moco-golden-") as tmp:
        export_inputs(tmp)
        with open(os.path.join(tmp, "steps.json")) as f:
            meta = json.load(f)
        initial = load_safetensors(os.path.join(tmp, "initial.safetensors"))
        raw = np.fromfile(os.path.join(tmp, "views.bin"), dtype="<f4")
    case, steps = meta["case"], meta["steps"]
    views, offset = [], 0
    for s in steps:
        n = int(np.prod(s["shape"]))
        xq = torch.from_numpy(raw[offset:offset + n].reshape(s["shape"]).copy()).permute(0, 3, 1, 2).contiguous()
        xk = torch.from_numpy(raw[offset + n:offset + 2 * n].reshape(s["shape"]).copy()).permute(0, 3, 1, 2).contiguous()
        views.append((xq, xk))
        offset += 2 * n
    assert offset == raw.size

    loss64, hits64, margin64, snap64 = run(case, initial, views, steps, torch.float64)
    loss32, hits32, _, snap32 = run(case, initial, views, steps, torch.float32)
    # The spread of float32 trajectories: more float32 runs from initial states one rounding step away.
    ensemble = [(loss32, hits32, snap32)]
    for seed in range(1, ENSEMBLE):
        losses, hits, _, snaps = run(case, perturbed(initial, seed), views, steps, torch.float32, check=False)
        ensemble.append((losses, hits, snaps))

    blob, snapshots, offset = [], {}, 0
    for step in case["snapshots"]:
        tensors, ints = {}, {}
        for name, t in snap64[step].items():
            if not t.is_floating_point():
                ints[name] = int(t.reshape(-1)[0])
                continue
            a = np.ascontiguousarray(t.numpy().astype("<f4"))
            tensors[name] = {"offset": offset, "shape": list(a.shape), "torch32_rel_err": rel(snap32[step][name], t),
                             "float32_spread": max(rel(e[2][step][name], t) for e in ensemble)}
            offset += a.size
            blob.append(a.ravel())
        runs_worst = [max(rel(e[2][step][n], t) for n, t in snap64[step].items() if t.is_floating_point()) for e in ensemble]
        snapshots[str(step)] = {"tensors": tensors, "ints": ints, "float32_runs_worst": runs_worst}
    with gzip.GzipFile(os.path.join(HERE, "states.bin.gz"), "wb", mtime=0) as f:
        f.write(np.concatenate(blob).tobytes())

    fixtures = {
        "generator": "test/golden/moco/make_fixtures.py",
        "torch": torch.__version__,
        "case": case,
        "mean": meta["mean"],
        "std": meta["std"],
        "initial": {n: float(t.double().abs().sum()) for n, t in initial.items() if t.is_floating_point()},
        "steps": [{"step": s["step"], "epoch": s["epoch"], "lr": s["lr"], "indices": s["indices"],
                   "views": [{"sum_abs": float(x.double().abs().sum()), "sum_sq": float(x.double().pow(2).sum())} for x in v],
                   "loss64": loss64[i], "loss32": loss32[i], "hits64": hits64[i], "hits32": hits32[i], "min_margin64": margin64[i],
                   "loss_float32_spread": max(abs(e[0][i] - loss64[i]) for e in ensemble), "hits_float32": [e[1][i] for e in ensemble]}
                  for i, (s, v) in enumerate(zip(steps, views))],
        "chance_loss": math.log(1 + case["queueSize"]),
        "states": {"file": "states.bin.gz", "dtype": "float32", "floats": offset},
        "snapshots": snapshots,
    }
    with open(os.path.join(HERE, "fixtures.json"), "w") as f:
        json.dump(fixtures, f, indent=1)
        f.write("\n")
    for i, s in enumerate(steps):
        print(f"step {s['step']:2d} lr {s['lr']:.4f} loss64 {loss64[i]:.6f} loss32 {loss32[i]:.6f} hits {hits64[i]}/{hits32[i]}"
              f" min margin {margin64[i]:.2e}")
    for step, snap in snapshots.items():
        worst = max(snap["tensors"].items(), key=lambda kv: kv[1]["torch32_rel_err"])
        runs = " ".join(f"{e:.0e}" for e in snap["float32_runs_worst"])
        print(f"after step {step}: torch float32 vs float64 worst {worst[1]['torch32_rel_err']:.2e} ({worst[0]}); the {ENSEMBLE} float32 runs: {runs}")


if __name__ == "__main__":
    main()
