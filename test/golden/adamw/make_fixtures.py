#!/usr/bin/python3
"""Golden fixtures for FundusLab's AdamW and learning-rate schedules (test/golden/adamw/adamw.test.ts).

Run with Debian's Python (torch 1.13; not the pyenv `python3` on PATH):

    /usr/bin/python3 test/golden/adamw/make_fixtures.py

Writes fixtures.json beside this script. Everything is seeded; rerunning rewrites identical values.

Problem: a 2-layer MLP (Linear 8->16, ReLU, Linear 16->3) with fixed seeded weights, trained on a
fixed batch of 12 vectors with cross-entropy (mean) for 20 steps by torch.optim.AdamW
(betas 0.9/0.999, eps 1e-8, weight_decay 0.05, amsgrad False, foreach False). Cases:

  cosine        lr 1e-2, CosineAnnealingLR(T_max=20, eta_min=1e-4), decay on every parameter
  constant_nobias  lr 3e-3 constant, two param groups: weights with weight_decay 0.05, biases with 0
  warmup_cosine lr 1e-2, SequentialLR([LinearLR(start_factor=0.1, total_iters=5), CosineAnnealingLR(T_max=15)], milestones=[5])

For each case: the lr used at every step (scheduler.get_last_lr() before optimizer.step()), the
gradient of every parameter at every step (so the optimizer can be tested on exactly torch's
gradients), the loss at every step, the parameters after steps 1, 5 and 20, and the optimizer state
(step, exp_avg, exp_avg_sq) after step 20. Parameters are in state_dict order with torch names and
torch layouts (Linear weight [out, in]); all values are float32 written as JSON numbers (exact).

  sgd_cosine    torch.optim.SGD (the MoCo v2 optimizer): lr 0.03, momentum 0.9, weight_decay 1e-4,
                CosineAnnealingLR(T_max=20); final state = momentum_buffer per parameter

Also: StepLR(step_size=7, gamma=0.5) lrs for 20 steps from lr 0.1 (schedule-only check).
"""
import json
import os

import torch
import torch.nn as nn
import torch.nn.functional as F

HERE = os.path.dirname(os.path.abspath(__file__))
STEPS = 20
SNAPSHOTS = [1, 5, 20]
WD = 0.05


def make_model():
    torch.manual_seed(1234)
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def data():
    g = torch.Generator().manual_seed(99)
    x = torch.randn(12, 8, generator=g)
    y = torch.randint(0, 3, (12,), generator=g)
    return x, y


def flat(t):
    return [float(v) for v in t.detach().reshape(-1).tolist()]


def run(case):
    model = make_model()
    names = [n for n, _ in model.named_parameters()]
    initial = {n: flat(p) for n, p in model.named_parameters()}
    shapes = {n: list(p.shape) for n, p in model.named_parameters()}
    x, y = data()
    if case == 'constant_nobias':
        decay = [p for n, p in model.named_parameters() if not n.endswith('bias')]
        nodecay = [p for n, p in model.named_parameters() if n.endswith('bias')]
        opt = torch.optim.AdamW([{'params': decay, 'weight_decay': WD}, {'params': nodecay, 'weight_decay': 0.0}],
                                lr=3e-3, betas=(0.9, 0.999), eps=1e-8, foreach=False)
        sched = None
    elif case == 'cosine':
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=WD, foreach=False)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS, eta_min=1e-4)
    elif case == 'sgd_cosine':
        opt = torch.optim.SGD(model.parameters(), lr=0.03, momentum=0.9, weight_decay=1e-4, foreach=False)
        sched = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS)
    elif case == 'warmup_cosine':
        opt = torch.optim.AdamW(model.parameters(), lr=1e-2, betas=(0.9, 0.999), eps=1e-8, weight_decay=WD, foreach=False)
        warm = torch.optim.lr_scheduler.LinearLR(opt, start_factor=0.1, end_factor=1.0, total_iters=5)
        cos = torch.optim.lr_scheduler.CosineAnnealingLR(opt, T_max=STEPS - 5)
        sched = torch.optim.lr_scheduler.SequentialLR(opt, [warm, cos], milestones=[5])
    else:
        raise ValueError(case)
    lrs, losses, grads, snaps = [], [], [], {}
    for step in range(1, STEPS + 1):
        lrs.append(opt.param_groups[0]['lr'])
        opt.zero_grad()
        loss = F.cross_entropy(model(x), y)
        loss.backward()
        losses.append(float(loss))
        grads.append({n: flat(p.grad) for n, p in model.named_parameters()})
        opt.step()
        if sched is not None:
            sched.step()
        if step in SNAPSHOTS:
            snaps[str(step)] = {n: flat(p) for n, p in model.named_parameters()}
    state = {}
    for n, p in model.named_parameters():
        s = opt.state[p]
        if case.startswith('sgd'):
            state[n] = {'momentum_buffer': flat(s['momentum_buffer'])}
        else:
            state[n] = {'step': float(s['step']), 'exp_avg': flat(s['exp_avg']), 'exp_avg_sq': flat(s['exp_avg_sq'])}
    return {'names': names, 'shapes': shapes, 'initial': initial, 'lrs': lrs, 'losses': losses,
            'grads': grads, 'params': snaps, 'state': state}


def step_lrs():
    p = torch.nn.Parameter(torch.zeros(1))
    opt = torch.optim.AdamW([p], lr=0.1)
    sched = torch.optim.lr_scheduler.StepLR(opt, step_size=7, gamma=0.5)
    out = []
    for _ in range(STEPS):
        out.append(opt.param_groups[0]['lr'])
        opt.step()
        sched.step()
    return out


def main():
    x, y = data()
    out = {
        'torch': torch.__version__,
        'steps': STEPS,
        'weight_decay': WD,
        'betas': [0.9, 0.999],
        'eps': 1e-8,
        'x': {'shape': list(x.shape), 'values': flat(x)},
        'y': [int(v) for v in y.tolist()],
        'cases': {c: run(c) for c in ['cosine', 'constant_nobias', 'warmup_cosine', 'sgd_cosine']},
        'step_lr': {'lr': 0.1, 'step_size': 7, 'gamma': 0.5, 'lrs': step_lrs()},
    }
    with open(os.path.join(HERE, 'fixtures.json'), 'w') as f:
        json.dump(out, f)
    print('wrote', os.path.join(HERE, 'fixtures.json'))


if __name__ == '__main__':
    main()
