#!/usr/bin/python3
"""PyTorch's logits for resnet18-w4 with non-finite conv weights (golden for non-finite-weights tests).

Run with Debian's Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 test/golden/non-finite/make_non_finite.py

Loads the committed test/golden/resnet/resnet18_w4.pt, sets every weight of one conv to +inf or NaN,
runs the committed input (input_2x3x61x67.bin) in eval mode and writes non_finite.json: per case the
tensor, the value and the logits (NaN, Infinity and -Infinity written as strings).
"""
import json
import math
import os
import sys

import numpy as np
import torch

HERE = os.path.dirname(os.path.abspath(__file__))
RESNET = os.path.join(HERE, "..", "resnet")
sys.path.insert(0, RESNET)
from make_fixtures import ReducedResNet  # noqa: E402

CASES = [
    ("conv1.weight", "Infinity"),
    ("conv1.weight", "NaN"),
    ("layer2.0.conv1.weight", "Infinity"),
    ("layer3.1.conv2.weight", "NaN"),
]


def encode(v):
    if math.isnan(v):
        return "NaN"
    if math.isinf(v):
        return "Infinity" if v > 0 else "-Infinity"
    return v


def main():
    x = np.fromfile(os.path.join(RESNET, "input_2x3x61x67.bin"), dtype="<f4").reshape(2, 3, 61, 67)
    state = torch.load(os.path.join(RESNET, "resnet18_w4.pt"))
    out = {"weights": "../resnet/resnet18_w4.pt", "arch": "resnet18-w4", "classes": 5,
           "input": "../resnet/input_2x3x61x67.bin", "cases": []}
    for tensor, value in CASES:
        model = ReducedResNet(18, 4, 5)
        model.load_state_dict(state)
        model.eval()
        with torch.no_grad():
            dict(model.named_parameters())[tensor].fill_(float(value.lower() if value == "NaN" else "inf"))
            logits = model(torch.from_numpy(x))
        out["cases"].append({"tensor": tensor, "value": value,
                             "logits": [[encode(float(v)) for v in row] for row in logits.numpy()]})
    with open(os.path.join(HERE, "non_finite.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
