#!/usr/bin/python3
"""Gradient oracle for FundusLab's train-mode ResNet (BatchNorm with batch statistics + softmax CE).

Run with Debian's Python (torch 1.13):  /usr/bin/python3 test/golden/resnet/make_grad_fixtures.py

For each case: the model of make_fixtures.py (resnet50_w4.pt: seed 50, randomised BN affine and
running statistics), in train mode, on a fixed seeded input batch with fixed one-hot labels; loss =
mean softmax cross-entropy (= tf.losses.softmaxCrossEntropy's default reduction). The same float32
weights and input are run in float64 (the oracle) and in float32 (to measure float32's own error).

Outputs (grads/): for every trainable parameter the float64 gradient rounded to float32,
little-endian, in FundusLab's tfjs layout (conv HWIO, fc.weight [in, out]) so tests compare
directly; the NCHW float32 input; and grads.json with shapes, the float64 loss and, per parameter,
torch float32's own error ‖g32 − g64‖∞ / ‖g64‖∞ (the noise floor any float32 implementation has).

A case must be well conditioned: if some pre-ReLU activation lies within float32 rounding of 0
(likely in layer4 at small inputs, where BatchNorm sees only 8-16 samples per channel), float32
and float64 take different sides of the kink and gradients differ by O(0.1) in any float32
implementation. The script refuses a case whose torch32 error exceeds 2e-4 (gradients.test.ts
checks the same bound).
"""
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

from make_fixtures import make_model

HERE = os.path.dirname(os.path.abspath(__file__))
OUT = os.path.join(HERE, "grads")
CASES = [
    # name, arch, model seed (as make_fixtures), batch, size, input seed
    ("resnet50_w4_b4_64", "resnet50-w4", 50, 4, 64, 21),
]


def tfjs_layout(name, g):
    if g.dim() == 4:
        return g.permute(2, 3, 1, 0)  # OIHW -> HWIO
    if name == "fc.weight":
        return g.t()
    return g


def grads(model, x, labels, dtype):
    m = model.to(dtype).train()
    m.zero_grad()
    loss = F.cross_entropy(m(x.to(dtype)), labels)
    loss.backward()
    return float(loss), {n: p.grad.detach().clone() for n, p in m.named_parameters()}


def rel(a, b):
    return float((a.double() - b.double()).abs().max() / b.double().abs().max())


def main():
    torch.set_num_threads(1)
    os.makedirs(OUT, exist_ok=True)
    index = {}
    for name, arch, seed, batch, size, xseed in CASES:
        g = torch.Generator().manual_seed(xseed)
        x = torch.randn(batch, 3, size, size, generator=g)
        labels = torch.arange(batch) % 5
        loss64, g64 = grads(make_model(arch, 5, seed), x, labels, torch.float64)
        loss32, g32 = grads(make_model(arch, 5, seed), x, labels, torch.float32)
        files = {}
        x.numpy().astype("<f4").tofile(os.path.join(OUT, f"{name}_input.bin"))
        blob = []
        offset = 0
        for pname, gv in g64.items():
            a = np.ascontiguousarray(tfjs_layout(pname, gv).numpy().astype("<f4"))
            files[pname] = {"offset": offset, "shape": list(a.shape), "torch32_rel_err": rel(g32[pname], gv)}
            offset += a.size
            blob.append(a.ravel())
        np.concatenate(blob).tofile(os.path.join(OUT, f"{name}_grads64.bin"))
        index[name] = {"arch": arch, "classes": 5, "weights": "resnet50_w4.pt", "input": {"file": f"{name}_input.bin", "shape": list(x.shape)},
                       "labels": labels.tolist(), "loss64": loss64, "loss32": loss32, "grads": {"file": f"{name}_grads64.bin", "tensors": files}}
        worst = sorted(files.items(), key=lambda kv: -kv[1]["torch32_rel_err"])[:6]
        if worst[0][1]["torch32_rel_err"] > 2e-4:
            raise SystemExit(f"{name}: torch float32 vs float64 gradient error {worst[0][1]['torch32_rel_err']:.3g} > 2e-4 (a ReLU kink?); pick another seed")
        print(name, "loss64", loss64, "loss32", loss32, "worst torch32 vs torch64:", [(k, round(v["torch32_rel_err"], 6)) for k, v in worst])
    with open(os.path.join(OUT, "grads.json"), "w") as f:
        json.dump(index, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
