#!/usr/bin/env python3
"""PyTorch timing of W7, one ColorMNIST run as the official code trains it: an MLP 392-390-390-2
(Xavier uniform, zero biases), Adam, 1001 steps of 35 examples drawn from 5,000 in memory, and an
evaluation of 2,000 validation and 3,000 test examples every 50 steps (argmax accuracy).
Data is random with the real shapes (timing does not depend on the values).

Prints one JSON object: {"workload", "steps", "seconds", "steps_per_s"}; the time of the second of
two runs, as bench/workloads.ts measures ours.
Usage: python3 torch_w7.py [--threads 2]
"""
import argparse, json, time
import torch
import torch.nn.functional as F

p = argparse.ArgumentParser()
p.add_argument("--threads", type=int, default=2)
args = p.parse_args()
torch.set_num_threads(args.threads)
torch.manual_seed(0)

x_train, y_train = torch.rand(5000, 392), torch.randint(0, 2, (5000,))
x_val, y_val = torch.rand(2000, 392), torch.randint(0, 2, (2000,))
x_test, y_test = torch.rand(3000, 392), torch.randint(0, 2, (3000,))


def net():
    layers = [torch.nn.Linear(392, 390), torch.nn.ReLU(), torch.nn.Linear(390, 390), torch.nn.ReLU(), torch.nn.Linear(390, 2)]
    for m in layers:
        if isinstance(m, torch.nn.Linear):
            torch.nn.init.xavier_uniform_(m.weight)
            torch.nn.init.zeros_(m.bias)
    return torch.nn.Sequential(*layers)


def run():
    t0 = time.perf_counter()
    model = net()
    opt = torch.optim.Adam(model.parameters(), lr=3e-4, weight_decay=1e-4)
    for step in range(1001):
        i = torch.randint(0, 5000, (35,))
        loss = F.cross_entropy(model(x_train[i]), y_train[i])
        opt.zero_grad(set_to_none=True)
        loss.backward()
        opt.step()
        if step % 50 == 0:
            model.eval()
            with torch.no_grad():
                for x, y in ((x_val, y_val), (x_test, y_test)):
                    (model(x).argmax(1) == y).float().mean().item()
            model.train()
    return time.perf_counter() - t0


run()
seconds = run()
print(json.dumps({"workload": "W7 ColorMNIST run (PyTorch)", "steps": 1001, "seconds": round(seconds, 4), "steps_per_s": round(1001 / seconds, 1)}))
