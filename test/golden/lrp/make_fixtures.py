#!/usr/bin/python3
"""Golden LRP relevance for FundusLab's LRP-alpha1-beta0 (src-main/analysis/lrp), from an independent
PyTorch reference implementation of the same rules (Zennit's definitions; Zennit itself is not
installable here).

Run with Debian's Python (torch 1.13, torchvision 0.14 -- not the pyenv python3 on PATH):

    /usr/bin/python3 test/golden/lrp/make_fixtures.py

Model and input: the ResNet parity fixtures of test/golden/resnet (made by its make_fixtures.py):
resnet18_w4.pt / resnet50_w4.pt (torchvision BasicBlock/Bottleneck at base width 4 with randomised
BatchNorm statistics and fc bias) and input_2x3x61x67.bin (NCHW float32). Everything is computed in
float64 on torchvision's own modules.

The reference, written the way Zennit computes rules (modified inputs/parameters, a forward pass,
torch.autograd.grad of that pass weighted by R/stab(z), multiplied by the modified inputs):
- Canonizing: each BatchNorm merged into the preceding conv, W' = W*g/sqrt(v+e) per output channel,
  b' = beta - mu*g/sqrt(v+e); residual additions as explicit sums; ReLU passes relevance unchanged.
- stab(z) = z + 1e-6*sign(z), sign(0) = +1.
- alpha1-beta0 (conv, fc): z = conv(x+, W+, b+) + conv(x-, W-); R_in = x+ * dz/dx+ (R/stab z) + x- * dz/dx- (R/stab z).
- zB first layer: z = conv(x, W, b) - conv(low, W+, b+) - conv(high, W-, b-); with gx, gl, gh the gradients of
  the three convolutions (each w.r.t. its own input) weighted by R/stab(z): R_in = x*gx - low*gl - high*gh;
  low/high = ImageNet-normalised 0 and 1 per channel.
- flat first layer: z = conv(1, 1) (no bias); R_in = dz/d1 (R/stab z).
- max pooling: winner-take-all = the max-pool gradient; proportional = z = sum over the 3x3 window (zero
  padding; avg_pool2d*9 with count_include_pad), R_in = x * dz/dx (R/stab z).
- average pooling (Norm): z = mean over H, W; R_in = x * dz/dx (R/stab z).
- residual sum: proportional (Norm): R_k = x_k * R/stab(x_1 + x_2); alpha1-beta0: R_k = x_k+ * R/stab(x_1+ + x_2+).
- Start: R0[n, c] = logit (or 1 for 'unit') for the chosen classes of image n, 0 elsewhere.

Outputs (raw little-endian float32, NHWC [2, 61, 67, 3]; shapes, settings and per-image sums in lrp.json):
  <case>_relevance.bin for each case below.
"""
import importlib.util
import json
import os

import numpy as np
import torch
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
RESNET = os.path.join(HERE, "..", "resnet")
EPS = 1e-6
IMAGENET_MEAN = np.array([0.485, 0.456, 0.406])
IMAGENET_STD = np.array([0.229, 0.224, 0.225])


def load_resnet_module():
    spec = importlib.util.spec_from_file_location("resnet_fixtures", os.path.join(RESNET, "make_fixtures.py"))
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def stab(z):
    return z + EPS * ((z == 0).to(z) + z.sign())


def merged(conv, bn):
    scale = bn.weight / torch.sqrt(bn.running_var + bn.eps)
    w = conv.weight * scale[:, None, None, None]
    b = bn.bias - bn.running_mean * scale
    return w, b, conv.stride, conv.padding


def grad_of(z, inputs, weight):
    return torch.autograd.grad(z, inputs, grad_outputs=weight)


def conv_alpha_beta(x, wbsp, R):
    w, b, stride, pad = wbsp
    xp = x.clamp(min=0).requires_grad_()
    xn = x.clamp(max=0).requires_grad_()
    z = F.conv2d(xp, w.clamp(min=0), b.clamp(min=0), stride, pad) + F.conv2d(xn, w.clamp(max=0), None, stride, pad)
    gp, gn = grad_of(z, (xp, xn), R / stab(z))
    return (xp * gp + xn * gn).detach()


def conv_zbox(x, wbsp, R, low, high):
    w, b, stride, pad = wbsp
    lo = torch.as_tensor(low, dtype=x.dtype)[None, :, None, None].expand_as(x).clone().requires_grad_()
    hi = torch.as_tensor(high, dtype=x.dtype)[None, :, None, None].expand_as(x).clone().requires_grad_()
    xx = x.clone().requires_grad_()
    # Zennit's ZBox: three separate outputs, each differentiated w.r.t. its own modified input.
    zx = F.conv2d(xx, w, b, stride, pad)
    zl = F.conv2d(lo, w.clamp(min=0), b.clamp(min=0), stride, pad)
    zh = F.conv2d(hi, w.clamp(max=0), b.clamp(max=0), stride, pad)
    s = R / stab(zx - zl - zh)
    (gx,) = grad_of(zx, (xx,), s)
    (gl,) = grad_of(zl, (lo,), s)
    (gh,) = grad_of(zh, (hi,), s)
    return (xx * gx - lo * gl - hi * gh).detach()


def conv_flat(x, wbsp, R):
    w, _, stride, pad = wbsp
    ones = torch.ones_like(x).requires_grad_()
    z = F.conv2d(ones, torch.ones_like(w), None, stride, pad)
    (g,) = grad_of(z, (ones,), R / stab(z))
    return g.detach()


def linear_alpha_beta(x, w, b, R):
    xp = x.clamp(min=0).requires_grad_()
    xn = x.clamp(max=0).requires_grad_()
    z = F.linear(xp, w.clamp(min=0), b.clamp(min=0)) + F.linear(xn, w.clamp(max=0), None)
    gp, gn = grad_of(z, (xp, xn), R / stab(z))
    return (xp * gp + xn * gn).detach()


def maxpool_relevance(x, R, mode):
    xx = x.clone().requires_grad_()
    if mode == "winner-take-all":
        z = F.max_pool2d(xx, 3, 2, 1)
        (g,) = grad_of(z, (xx,), R)
        return g.detach()
    z = F.avg_pool2d(xx, 3, 2, 1, count_include_pad=True) * 9.0
    (g,) = grad_of(z, (xx,), R / stab(z))
    return (xx * g).detach()


def avgpool_relevance(x, R):
    xx = x.clone().requires_grad_()
    z = xx.mean(dim=(2, 3))
    (g,) = grad_of(z, (xx,), R / stab(z))
    return (xx * g).detach()


def sum_relevance(a, b, R, mode):
    if mode == "proportional":
        s = R / stab(a + b)
        return a * s, b * s
    ap, bp = a.clamp(min=0), b.clamp(min=0)
    s = R / stab(ap + bp)
    return ap * s, bp * s


def explain(model, x, classes, first, maxpool, sum_rule, start_value, bounds):
    """Relevance of x (NCHW float64) under the composite; returns (relevance NCHW, logits, R0)."""
    m = model
    with torch.no_grad():
        stem = merged(m.conv1, m.bn1)
        a0 = x
        a1 = F.relu(F.conv2d(a0, stem[0], stem[1], stem[2], stem[3]))
        a2 = F.max_pool2d(a1, 3, 2, 1)
        h = a2
        trace = []
        for layer in (m.layer1, m.layer2, m.layer3, m.layer4):
            for blk in layer:
                convs = [(blk.conv1, blk.bn1), (blk.conv2, blk.bn2)] + ([(blk.conv3, blk.bn3)] if hasattr(blk, "conv3") else [])
                params = [merged(c, b) for c, b in convs]
                ins = []
                t = h
                for i, p in enumerate(params):
                    ins.append(t)
                    t = F.conv2d(t, p[0], p[1], p[2], p[3])
                    if i < len(params) - 1:
                        t = F.relu(t)
                branch = t
                if blk.downsample is not None:
                    dp = merged(blk.downsample[0], blk.downsample[1])
                    identity = F.conv2d(h, dp[0], dp[1], dp[2], dp[3])
                else:
                    dp, identity = None, h
                trace.append((h, params, ins, branch, dp, identity))
                h = F.relu(branch + identity)
        pooled = h.mean(dim=(2, 3))
        logits = F.linear(pooled, m.fc.weight, m.fc.bias)
    mask = torch.zeros_like(logits)
    for n, cs in enumerate(classes):
        for c in cs:
            mask[n, c] = 1.0
    R0 = mask if start_value == "unit" else mask * logits
    R = linear_alpha_beta(pooled, m.fc.weight, m.fc.bias, R0)
    R = avgpool_relevance(h, R)
    for (blk_in, params, ins, branch, dp, identity) in reversed(trace):
        r_branch, r_identity = sum_relevance(branch, identity, R, sum_rule)
        r = r_branch
        for p, t in zip(reversed(params), reversed(ins)):
            r = conv_alpha_beta(t, p, r)
        r_in = r
        if dp is not None:
            r_in = r_in + conv_alpha_beta(blk_in, dp, r_identity)
        else:
            r_in = r_in + r_identity
        R = r_in
    R = maxpool_relevance(a1, R, maxpool)
    if first == "alpha-beta":
        R = conv_alpha_beta(a0, stem, R)
    elif first == "zbox":
        R = conv_zbox(a0, stem, R, bounds[0], bounds[1])
    else:
        R = conv_flat(a0, stem, R)
    return R, logits, R0


CASES = [
    # name, model file, arch, classes per image, first, maxpool, sum, start value
    ("resnet18_w4_default", "resnet18_w4.pt", "resnet18-w4", [[3], [1]], "alpha-beta", "winner-take-all", "proportional", "logit"),
    ("resnet18_w4_zbox_proportional_referable", "resnet18_w4.pt", "resnet18-w4", [[3, 4], [3, 4]], "zbox", "proportional", "proportional", "logit"),
    ("resnet18_w4_flat_sumab_unit", "resnet18_w4.pt", "resnet18-w4", [[0], [4]], "flat", "winner-take-all", "alpha-beta", "unit"),
    ("resnet50_w4_default", "resnet50_w4.pt", "resnet50-w4", [[3], [1]], "alpha-beta", "winner-take-all", "proportional", "logit"),
]


def main():
    torch.set_num_threads(1)
    rf = load_resnet_module()
    with open(os.path.join(RESNET, "fixtures.json")) as f:
        resnet_fixtures = json.load(f)
    inp = resnet_fixtures["input"]
    x = np.fromfile(os.path.join(RESNET, inp["file"]), dtype="<f4").reshape(inp["shape"])
    x = torch.from_numpy(x.astype(np.float64))
    low = (0.0 - IMAGENET_MEAN) / IMAGENET_STD
    high = (1.0 - IMAGENET_MEAN) / IMAGENET_STD
    out = {"input": {"file": "../resnet/" + inp["file"], "shape": inp["shape"], "layout": "NCHW"}, "stabilizer": EPS,
           "bounds": {"low": low.tolist(), "high": high.tolist()}, "cases": {}}
    for name, weights, arch, classes, first, maxpool, sum_rule, start_value in CASES:
        depth, width = rf.parse_arch(arch)
        model = rf.ReducedResNet(depth, width, 5).double().eval()
        model.load_state_dict(torch.load(os.path.join(RESNET, weights)), strict=True)
        R, logits, R0 = explain(model, x, classes, first, maxpool, sum_rule, start_value, (low, high))
        nhwc = R.permute(0, 2, 3, 1).contiguous().numpy()
        fname = f"{name}_relevance.bin"
        nhwc.astype("<f4").tofile(os.path.join(HERE, fname))
        out["cases"][name] = {
            "weights": "../resnet/" + weights, "arch": arch, "classes": classes, "firstLayer": first, "maxPool": maxpool,
            "sum": sum_rule, "startValue": start_value,
            "relevance": {"file": fname, "shape": list(nhwc.shape), "dtype": "float32", "layout": "NHWC"},
            "logits": logits.tolist(), "startSums": R0.sum(dim=1).tolist(), "relevanceSums": R.sum(dim=(1, 2, 3)).tolist(),
        }
        print(name, "start", [round(v, 6) for v in R0.sum(dim=1).tolist()], "relevance", [round(v, 6) for v in R.sum(dim=(1, 2, 3)).tolist()])
    with open(os.path.join(HERE, "lrp.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
