#!/usr/bin/env python3
"""PyTorch side of `funduslab bench engine --compare-torch`.

Reads one JSON request per line on stdin and prints one JSON response per line on stdout:

  request:  {"arch": "resnet18-w8", "size": 64, "batch": 32, "mode": "train" | "forward",
             "classes": 5, "threads": 2, "warmup": 1, "steps": 3, "seed": 1234,
             "optimizer": {"kind": "adamw", "lr": 1e-4, "betas": [0.9, 0.999], "eps": 1e-8, "weightDecay": 0.01}
                        or {"kind": "sgd", "lr": 0.03, "momentum": 0.9, "weightDecay": 1e-4}}
  response: {"ok": true, "torch": "1.13.0", "torchvision": "0.14.1", "threads": 2,
             "stepMs": [..], "loss": 1.61}  or  {"ok": false, "error": "..."}

The model is torchvision's ResNet; `-w<W>` variants change only the base width (stem and layer1..4
planes W, 2W, 4W, 8W instead of 64, 128, 256, 512), as FundusLab's resnet-spec. forward = eval mode
under no_grad, logits read; train = train-mode BatchNorm, mean cross-entropy, backward, an AdamW or
SGD (momentum, coupled weight decay) step. A model and its optimizer are kept between requests for
the same (arch, size, batch, mode, optimizer).
"""
import json
import re
import sys
import time

try:
    import torch
    import torch.nn as nn
    import torchvision
    from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet
except Exception as err:  # noqa: BLE001 - reported to the caller
    print(json.dumps({"ok": False, "error": f"import torch/torchvision failed: {err}"}), flush=True)
    sys.exit(0)

DEPTHS = {18: (BasicBlock, [2, 2, 2, 2]), 34: (BasicBlock, [3, 4, 6, 3]), 50: (Bottleneck, [3, 4, 6, 3]),
          101: (Bottleneck, [3, 4, 23, 3]), 152: (Bottleneck, [3, 8, 36, 3])}


class WidthResNet(ResNet):
    """torchvision's ResNet with base width W (torchvision hard-codes 64)."""

    def __init__(self, block, layers, width, num_classes):
        nn.Module.__init__(self)
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = width
        self.dilation = 1
        self.groups = 1
        self.base_width = 64  # Bottleneck's inner width = planes, as FundusLab
        self.conv1 = nn.Conv2d(3, width, kernel_size=7, stride=2, padding=3, bias=False)
        self.bn1 = nn.BatchNorm2d(width)
        self.relu = nn.ReLU(inplace=True)
        self.maxpool = nn.MaxPool2d(kernel_size=3, stride=2, padding=1)
        self.layer1 = self._make_layer(block, width, layers[0])
        self.layer2 = self._make_layer(block, width * 2, layers[1], stride=2)
        self.layer3 = self._make_layer(block, width * 4, layers[2], stride=2)
        self.layer4 = self._make_layer(block, width * 8, layers[3], stride=2)
        self.avgpool = nn.AdaptiveAvgPool2d((1, 1))
        self.fc = nn.Linear(width * 8 * block.expansion, num_classes)


def build(arch, classes):
    m = re.fullmatch(r"resnet(18|34|50|101|152)(?:-w(\d+))?", arch)
    if not m:
        raise ValueError(f"unknown architecture {arch!r}")
    depth, width = int(m.group(1)), int(m.group(2) or 64)
    if width == 64:
        return getattr(torchvision.models, f"resnet{depth}")(num_classes=classes)
    block, layers = DEPTHS[depth]
    return WidthResNet(block, layers, width, classes)


cache = {}


def measure(req):
    torch.set_num_threads(int(req["threads"]))
    key = (req["arch"], req["size"], req["batch"], req["mode"], req.get("classes", 5), json.dumps(req["optimizer"], sort_keys=True))
    if key not in cache:
        cache.clear()
        torch.manual_seed(int(req.get("seed", 1234)))
        model = build(req["arch"], int(req.get("classes", 5)))
        o = req["optimizer"]
        if o.get("kind", "adamw") == "sgd":
            opt = torch.optim.SGD(model.parameters(), lr=o["lr"], momentum=o["momentum"], weight_decay=o["weightDecay"])
        else:
            opt = torch.optim.AdamW(model.parameters(), lr=o["lr"], betas=tuple(o["betas"]), eps=o["eps"],
                                    weight_decay=o["weightDecay"])
        b, s, c = int(req["batch"]), int(req["size"]), int(req.get("classes", 5))
        x = torch.randn(b, 3, s, s)
        y = torch.arange(b) % c
        cache[key] = (model, opt, x, y)
    model, opt, x, y = cache[key]
    loss_fn = nn.CrossEntropyLoss()
    loss = None

    def step():
        nonlocal loss
        if req["mode"] == "forward":
            model.eval()
            with torch.no_grad():
                model(x).numpy()
        else:
            model.train()
            opt.zero_grad(set_to_none=True)
            out = loss_fn(model(x), y)
            out.backward()
            opt.step()
            loss = float(out.item())

    for _ in range(int(req.get("warmup", 1))):
        step()
    ms = []
    for _ in range(int(req["steps"])):
        t0 = time.perf_counter()
        step()
        ms.append((time.perf_counter() - t0) * 1000)
    res = {"ok": True, "torch": torch.__version__, "torchvision": torchvision.__version__,
           "threads": torch.get_num_threads(), "stepMs": ms}
    if loss is not None:
        res["loss"] = loss
    return res


for line in sys.stdin:
    if not line.strip():
        continue
    try:
        out = measure(json.loads(line))
    except Exception as err:  # noqa: BLE001 - reported to the caller
        out = {"ok": False, "error": f"{type(err).__name__}: {err}"}
    print(json.dumps(out), flush=True)
