#!/usr/bin/python3
"""Golden fixtures for FundusLab's ResNet implementation and weight import/export.

Run with Debian's Python (torch 1.13, torchvision 0.14):

    /usr/bin/python3 test/golden/resnet/make_fixtures.py            # small committed fixtures
    /usr/bin/python3 test/golden/resnet/make_fixtures.py --full     # full-width ResNet50 at 224x224 into full/ (~100 MB, not committed)
    /usr/bin/python3 test/golden/resnet/make_fixtures.py --check-export FILE.safetensors --arch resnet18-w4
        # loads a .safetensors file exported by FundusLab into torchvision and compares its logits with
        # the committed expected logits of that architecture (exit 1 on mismatch)

Everything is seeded; rerunning rewrites identical tensors (the torch.save zip layout may differ in
padding only). Models are torchvision's own BasicBlock/Bottleneck/_make_layer; the reduced-width
variants only change the stem width (64 -> W) and the planes of layer1..4 (W, 2W, 4W, 8W).
BatchNorm affine parameters and running statistics are randomised so parity really tests them.

Outputs (all arrays raw little-endian, shapes and dtypes in fixtures.json; activations NCHW):
  resnet18_w4.pt, resnet18_w4_legacy.pt   torch.save zip / legacy (_use_new_zipfile_serialization=False)
  resnet50_w4.pt, resnet50_w4.safetensors  zip and a hand-written safetensors file (same weights)
  moco_resnet50_w4.pth.tar                 MoCo v2 style checkpoint (encoder_q with MLP head, encoder_k,
                                           queue, queue_ptr, SGD optimizer state with momentum buffers)
  dtypes.pt, dtypes_legacy.pt, dtypes.safetensors  small tensors of many dtypes, views and offsets
  pickle_*.pkl                             plain pickles (protocols 0, 2, 4, 5) + expected JSON
  malicious_posix_system.pkl               a pickle whose REDUCE would call os.system (must be refused)
"""
import argparse
import collections
import json
import os
import pickle
import struct
import sys

import numpy as np
import torch
import torch.nn as nn
from torchvision.models.resnet import BasicBlock, Bottleneck, ResNet

HERE = os.path.dirname(os.path.abspath(__file__))
LAYOUTS = {18: (BasicBlock, [2, 2, 2, 2]), 34: (BasicBlock, [3, 4, 6, 3]), 50: (Bottleneck, [3, 4, 6, 3])}


class ReducedResNet(ResNet):
    """torchvision's ResNet with a configurable base width (64 = torchvision exactly)."""

    def __init__(self, depth, width=64, num_classes=5):
        nn.Module.__init__(self)
        block, layers = LAYOUTS[depth]
        self._norm_layer = nn.BatchNorm2d
        self.inplanes = width
        self.dilation = 1
        self.groups = 1
        self.base_width = 64
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
        for m in self.modules():
            if isinstance(m, nn.Conv2d):
                nn.init.kaiming_normal_(m.weight, mode="fan_out", nonlinearity="relu")


def parse_arch(name):
    base, _, w = name.partition("-w")
    return int(base.replace("resnet", "")), int(w) if w else 64


def make_model(arch, classes, seed):
    torch.manual_seed(seed)
    depth, width = parse_arch(arch)
    model = ReducedResNet(depth, width, classes)
    g = torch.Generator().manual_seed(seed + 1)
    with torch.no_grad():
        for m in model.modules():
            if isinstance(m, nn.BatchNorm2d):
                n = m.num_features
                m.weight.copy_(0.5 + torch.rand(n, generator=g))
                m.bias.copy_(0.2 * torch.randn(n, generator=g))
                m.running_mean.copy_(0.2 * torch.randn(n, generator=g))
                m.running_var.copy_(0.5 + 1.5 * torch.rand(n, generator=g))
                m.num_batches_tracked.fill_(int(torch.randint(1, 1000, (1,), generator=g)))
        model.fc.bias.copy_(0.1 * torch.randn(classes, generator=g))
    return model.eval()


def write_raw(name, array, dtype="<f4"):
    a = np.ascontiguousarray(np.asarray(array).astype(dtype))
    with open(os.path.join(OUT, name), "wb") as f:
        f.write(a.tobytes())
    return {"file": name, "shape": list(a.shape), "dtype": np.dtype(dtype).name}


SAFETENSORS_DTYPES = {torch.float32: ("F32", "<f4"), torch.float16: ("F16", "<f2"), torch.float64: ("F64", "<f8"),
                      torch.int64: ("I64", "<i8"), torch.int32: ("I32", "<i4"), torch.uint8: ("U8", "u1"),
                      torch.bool: ("BOOL", "u1"), torch.bfloat16: ("BF16", None)}


def save_safetensors(tensors, path, metadata=None):
    """Minimal safetensors writer (the safetensors package is not installed): u64 LE header size, JSON, data."""
    header, chunks, offset = {}, [], 0
    if metadata:
        header["__metadata__"] = metadata
    for name, t in tensors.items():
        code, np_dtype = SAFETENSORS_DTYPES[t.dtype]
        t = t.detach().contiguous()
        if t.dtype == torch.bfloat16:
            data = (t.view(torch.int16).numpy().astype("<i2")).tobytes()
        else:
            data = t.numpy().astype(np_dtype).tobytes()
        header[name] = {"dtype": code, "shape": list(t.shape), "data_offsets": [offset, offset + len(data)]}
        chunks.append(data)
        offset += len(data)
    blob = json.dumps(header, separators=(",", ":")).encode()
    blob += b" " * ((8 - len(blob) % 8) % 8)
    with open(path, "wb") as f:
        f.write(struct.pack("<Q", len(blob)))
        f.write(blob)
        for c in chunks:
            f.write(c)


def load_safetensors(path):
    with open(path, "rb") as f:
        raw = f.read()
    (n,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + n])
    data = raw[8 + n:]
    out = collections.OrderedDict()
    inverse = {code: (dt, np_dtype) for dt, (code, np_dtype) in SAFETENSORS_DTYPES.items()}
    for name, info in header.items():
        if name == "__metadata__":
            continue
        dt, np_dtype = inverse[info["dtype"]]
        b, e = info["data_offsets"]
        if dt == torch.bfloat16:
            t = torch.from_numpy(np.frombuffer(data[b:e], dtype="<i2").copy()).view(torch.bfloat16)
        else:
            t = torch.from_numpy(np.frombuffer(data[b:e], dtype=np_dtype).copy()).to(dt)
        out[name] = t.reshape(info["shape"])
    return out


def run_case(model, x, prefix):
    """Eval-mode logits and layer1..4 activations, then one train-mode forward (batch statistics)."""
    acts = {}
    hooks = [getattr(model, n).register_forward_hook(lambda m, i, o, n=n: acts.__setitem__(n, o.detach()))
             for n in ["layer1", "layer2", "layer3", "layer4"]]
    with torch.no_grad():
        logits = model(x)
    for h in hooks:
        h.remove()
    entry = {"logits": write_raw(f"{prefix}_logits.bin", logits.numpy())}
    for n, a in acts.items():
        entry[n] = write_raw(f"{prefix}_{n}.bin", a.numpy())
    return entry


def train_step_case(arch, classes, seed, x, prefix):
    model = make_model(arch, classes, seed).train()
    with torch.no_grad():
        logits = model(x)
    return {
        "logits": write_raw(f"{prefix}_train_logits.bin", logits.numpy()),
        "bn1.running_mean": write_raw(f"{prefix}_train_bn1_running_mean.bin", model.bn1.running_mean.numpy()),
        "bn1.running_var": write_raw(f"{prefix}_train_bn1_running_var.bin", model.bn1.running_var.numpy()),
        "layer4.1.bn2.running_var": write_raw(f"{prefix}_train_layer4_1_bn2_running_var.bin",
                                              model.layer4[1].bn2.running_var.numpy()),
        "bn1.num_batches_tracked": int(model.bn1.num_batches_tracked),
    }


def moco_checkpoint(model, classes_mlp_out=16, queue_len=16, seed=7):
    """A MoCo v2 checkpoint as main_moco.py saves it: {'epoch','arch','state_dict','optimizer'}."""
    torch.manual_seed(seed)
    q = make_model("resnet50-w4", classes_mlp_out, 50)
    dim_mlp = q.fc.weight.shape[1]
    q.fc = nn.Sequential(nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), nn.Linear(dim_mlp, classes_mlp_out))
    k = make_model("resnet50-w4", classes_mlp_out, 51)
    k.fc = nn.Sequential(nn.Linear(dim_mlp, dim_mlp), nn.ReLU(), nn.Linear(dim_mlp, classes_mlp_out))
    sd = collections.OrderedDict()
    for n, t in q.state_dict().items():
        sd["module.encoder_q." + n] = t
    for n, t in k.state_dict().items():
        sd["module.encoder_k." + n] = t
    sd["module.queue"] = torch.randn(classes_mlp_out, queue_len)
    sd["module.queue_ptr"] = torch.zeros(1, dtype=torch.long)
    opt = torch.optim.SGD(q.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4)
    q.train()
    loss = q(torch.randn(2, 3, 32, 32)).pow(2).mean()
    loss.backward()
    opt.step()
    return {"epoch": 200, "arch": "resnet50", "state_dict": sd, "optimizer": opt.state_dict()}, q


def dtype_tensors():
    g = torch.Generator().manual_seed(3)
    base = torch.randn(4, 6, generator=g)
    t = collections.OrderedDict()
    t["f32"] = torch.randn(2, 3, generator=g)
    t["f16"] = torch.randn(5, generator=g).half()
    t["bf16"] = torch.randn(3, 2, generator=g).bfloat16()
    t["f64"] = torch.randn(2, 2, generator=g).double()
    t["i64"] = torch.tensor([-(2 ** 40), -1, 0, 7, 2 ** 40])
    t["i32"] = torch.tensor([[-5, 3], [9, 2 ** 30]], dtype=torch.int32)
    t["u8"] = torch.tensor([0, 1, 255], dtype=torch.uint8)
    t["bool"] = torch.tensor([True, False, True])
    t["scalar"] = torch.tensor(3.5)
    t["empty"] = torch.zeros(0, 3)
    t["base"] = base
    t["transposed"] = base.t()          # non-contiguous view of base's storage
    t["row_slice"] = base[1:3]          # storage offset 6
    t["col_slice"] = base[:, 2]         # stride 6
    return t


def write_pickles(expected):
    value = {
        "ints": [0, 1, -1, 255, 256, 65535, 65536, -65536, 2 ** 31 - 1, -(2 ** 31), 2 ** 40, -(2 ** 40), 2 ** 70],
        "floats": [0.0, -1.5, 3.141592653589793, 1e300],
        "strings": ["", "ascii", "ünïcödé ✓", "x" * 300],
        "bytes": b"\x00\x01\xfe\xff",
        "nested": {"a": [1, (2, 3)], "b": (), "c": (1,), "d": (1, 2), "e": (1, 2, 3), "f": (1, 2, 3, 4)},
        "flags": [None, True, False],
        "frozen": frozenset([1]),
        "set": {2},
        "ordered": collections.OrderedDict([("z", 1), ("y", 2)]),
        "intkeys": {0: "zero", 1: "one"},
    }
    shared = [1, 2]
    value["shared"] = [shared, shared]  # memo GET/PUT
    files = {}
    for proto in (0, 2, 4, 5):
        name = f"pickle_p{proto}.pkl"
        with open(os.path.join(OUT, name), "wb") as f:
            pickle.dump(value, f, protocol=proto)
        files[str(proto)] = name
    expected["pickles"] = files

    class Evil:
        def __reduce__(self):
            return (os.system, ("echo pwned > /tmp/funduslab-pickle-pwned",))

    with open(os.path.join(OUT, "malicious_posix_system.pkl"), "wb") as f:
        pickle.dump({"state_dict": Evil()}, f, protocol=2)


def make_small():
    fixtures = {"input": None, "cases": {}}
    g = torch.Generator().manual_seed(11)
    x = torch.randn(2, 3, 61, 67, generator=g)
    fixtures["input"] = write_raw("input_2x3x61x67.bin", x.numpy())

    m18 = make_model("resnet18-w4", 5, 18)
    torch.save(m18.state_dict(), os.path.join(OUT, "resnet18_w4.pt"))
    torch.save(m18.state_dict(), os.path.join(OUT, "resnet18_w4_legacy.pt"), _use_new_zipfile_serialization=False)
    case = run_case(m18, x, "resnet18_w4")
    case.update({"arch": "resnet18-w4", "classes": 5, "weights": ["resnet18_w4.pt", "resnet18_w4_legacy.pt"]})
    case["train"] = train_step_case("resnet18-w4", 5, 18, x, "resnet18_w4")
    fixtures["cases"]["resnet18-w4"] = case

    m50 = make_model("resnet50-w4", 5, 50)
    torch.save(m50.state_dict(), os.path.join(OUT, "resnet50_w4.pt"))
    save_safetensors(m50.state_dict(), os.path.join(OUT, "resnet50_w4.safetensors"), {"format": "pt"})
    case = run_case(m50, x, "resnet50_w4")
    case.update({"arch": "resnet50-w4", "classes": 5, "weights": ["resnet50_w4.pt", "resnet50_w4.safetensors"]})
    fixtures["cases"]["resnet50-w4"] = case

    ckpt, q = moco_checkpoint(m50)
    torch.save(ckpt, os.path.join(OUT, "moco_resnet50_w4.pth.tar"))
    # Expected backbone activations of the query encoder as saved (after its SGD step), in eval mode.
    moco_case = run_case(q.eval(), x, "moco_resnet50_w4")
    del moco_case["logits"]
    os.remove(os.path.join(OUT, "moco_resnet50_w4_logits.bin"))
    fixtures["moco"] = {"file": "moco_resnet50_w4.pth.tar", "arch": "resnet50-w4", **moco_case,
                        "mlp_dim": int(q.fc[0].weight.shape[1]), "out_dim": int(q.fc[2].weight.shape[0])}

    dt = dtype_tensors()
    torch.save(dt, os.path.join(OUT, "dtypes.pt"))
    torch.save(dt, os.path.join(OUT, "dtypes_legacy.pt"), _use_new_zipfile_serialization=False)
    save_safetensors({k: v for k, v in dt.items() if k not in ("transposed", "col_slice")},
                     os.path.join(OUT, "dtypes.safetensors"))
    fixtures["dtypes"] = {k: {"dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                              "values": v.double().flatten().tolist() if v.dtype != torch.int64 else [str(i) for i in v.flatten().tolist()]}
                          for k, v in dt.items()}
    write_pickles(fixtures)
    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump(fixtures, f, indent=1)
        f.write("\n")


def make_full():
    fixtures = {"cases": {}}
    g = torch.Generator().manual_seed(12)
    x = torch.randn(1, 3, 224, 224, generator=g)
    fixtures["input"] = write_raw("input_1x3x224x224.bin", x.numpy())
    m = make_model("resnet50", 5, 500)
    torch.save(m.state_dict(), os.path.join(OUT, "resnet50.pt"))
    case = run_case(m, x, "resnet50")
    case.update({"arch": "resnet50", "classes": 5, "weights": ["resnet50.pt"]})
    fixtures["cases"]["resnet50"] = case
    with open(os.path.join(OUT, "fixtures.json"), "w") as f:
        json.dump(fixtures, f, indent=1)
        f.write("\n")


def check_export(path, arch, classes):
    with open(os.path.join(HERE, "fixtures.json")) as f:
        fixtures = json.load(f)
    case = fixtures["cases"][arch]
    depth, width = parse_arch(arch)
    model = ReducedResNet(depth, width, classes).eval()
    sd = load_safetensors(path)
    model.load_state_dict(sd, strict=True)
    inp = fixtures["input"]
    x = torch.from_numpy(np.fromfile(os.path.join(HERE, inp["file"]), dtype="<f4").reshape(inp["shape"]))
    with torch.no_grad():
        logits = model(x).numpy()
    lg = case["logits"]
    expected = np.fromfile(os.path.join(HERE, lg["file"]), dtype="<f4").reshape(lg["shape"])
    err = float(np.abs(logits - expected).max() / np.abs(expected).max())
    nbt = int(sd["bn1.num_batches_tracked"])
    print(json.dumps({"file": path, "arch": arch, "keys": len(sd), "relative_max_abs_diff": err, "bn1.num_batches_tracked": nbt}))
    return 0 if err <= 1e-5 else 1


if __name__ == "__main__":
    ap = argparse.ArgumentParser()
    ap.add_argument("--full", action="store_true")
    ap.add_argument("--check-export")
    ap.add_argument("--arch", default="resnet18-w4")
    ap.add_argument("--classes", type=int, default=5)
    args = ap.parse_args()
    torch.set_num_threads(1)
    if args.check_export:
        sys.exit(check_export(args.check_export, args.arch, args.classes))
    if args.full:
        OUT = os.path.join(HERE, "full")
        os.makedirs(OUT, exist_ok=True)
        make_full()
    else:
        OUT = HERE
        make_small()
