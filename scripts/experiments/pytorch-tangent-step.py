#!/usr/bin/env python3
"""Times the PyTorch reference procedure of a tangent step on this machine, for comparison with
`pareto-bench tangent-step` and `pareto-bench hvp` (same shapes, same settings, same hour).

Written for ParetoKit from the published description of the procedure (Ma et al., ICML 2020,
"Efficient Continuous Pareto Exploration in Multi-Task Learning"): one step is
  1. the Jacobian of the two cross-entropies on the whole training set, averaged over
     mini-batches of 2,048 composites;
  2. the min-norm weights alpha of the two gradients, and the right-hand side beta^T J;
  3. the gradients of one 2,048-composite batch with their autograd graph kept;
  4. SciPy's MINRES (tol 1e-5, at most 50 iterations, x0 = -mean of the Jacobian rows) on
     H(alpha) + damping I, each product one double-backward through the kept graph;
  5. the normalised direction as the parameters' gradient and one SGD step.
Data are random composites of the same shape, held in memory (no DataLoader workers, no image
transforms), so this is a lower bound on the published procedure's time. Nothing here downloads
anything. Usage (CPU PyTorch and SciPy in a virtual environment):

    python3 scripts/experiments/pytorch-tangent-step.py --threads 2 --json
"""
import argparse
import json
import time

import numpy as np
import scipy.sparse.linalg as sla
import torch
import torch.nn as nn
import torch.nn.functional as F


class MultiLeNet(nn.Module):
    """conv(1→10, 5) → ReLU → pool → conv(10→20, 5) → ReLU → pool → fc(320→50) → ReLU → two heads."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv2d(1, 10, 5)
        self.conv2 = nn.Conv2d(10, 20, 5)
        self.fc1 = nn.Linear(320, 50)
        self.head1 = nn.Linear(50, 10)
        self.head2 = nn.Linear(50, 10)

    def forward(self, x):
        x = F.max_pool2d(F.relu(self.conv1(x)), 2)
        x = F.max_pool2d(F.relu(self.conv2(x)), 2)
        x = F.relu(self.fc1(torch.flatten(x, 1)))
        return self.head1(x), self.head2(x)


def losses(network, images, labels):
    first, second = network(images)
    return [F.cross_entropy(first, labels[:, 0]), F.cross_entropy(second, labels[:, 1])]


def flat(tensors, like=None):
    """The tensors as one vector; a None (a parameter the value does not use) as zeros."""
    like = like or tensors
    return torch.cat([(torch.zeros_like(p) if t is None else t).reshape(-1) for t, p in zip(tensors, like)])


def min_norm_weights(g1, g2):
    """argmin over a in [0, 1] of |a g1 + (1 - a) g2|² (two tasks, closed form)."""
    difference = g1 - g2
    denominator = difference.dot(difference).item()
    a = 0.5 if denominator == 0 else float(np.clip((g2 - g1).dot(g2).item() / denominator, 0, 1))
    return torch.tensor([a, 1 - a])


def tangent_step(network, images, labels, batch, iterations, damping, beta):
    params = list(network.parameters())
    n = sum(p.numel() for p in params)
    order = torch.randperm(len(images))
    batches = [order[i:i + batch] for i in range(0, len(images), batch)]
    start = time.perf_counter()
    jacobian = torch.zeros(2, n)
    for index in batches:
        values = losses(network, images[index], labels[index])
        for t, value in enumerate(values):
            jacobian[t] += flat(torch.autograd.grad(value, params, retain_graph=t == 0, allow_unused=True), params)
    jacobian /= len(batches)
    gradient_seconds = time.perf_counter() - start

    alphas = min_norm_weights(jacobian[0], jacobian[1])
    rhs = (beta @ jacobian).numpy()
    start = time.perf_counter()
    index = batches[0]
    values = losses(network, images[index], labels[index])
    grads = torch.stack([flat(torch.autograd.grad(v, params, retain_graph=True, create_graph=True, allow_unused=True), params)
                         for v in values])
    weighted = alphas @ grads
    kept_graph_seconds = time.perf_counter() - start
    products = [0, 0.0]

    def matvec(x):
        t0 = time.perf_counter()
        v = torch.as_tensor(np.asarray(x, dtype=np.float32).reshape(-1))
        hv = flat(torch.autograd.grad(weighted.dot(v), params, retain_graph=True)) + damping * v
        products[0] += 1
        products[1] += time.perf_counter() - t0
        return hv.numpy()

    operator = sla.LinearOperator((n, n), matvec=matvec, dtype=np.float32)
    start = time.perf_counter()
    x0 = (-jacobian.mean(0)).numpy()
    try:
        solution, _ = sla.minres(operator, rhs, x0=x0, rtol=1e-5, maxiter=iterations)
    except TypeError:  # SciPy < 1.12 names it tol
        solution, _ = sla.minres(operator, rhs, x0=x0, tol=1e-5, maxiter=iterations)
    solve_seconds = time.perf_counter() - start
    direction = torch.as_tensor(solution.astype(np.float32))
    direction /= direction.norm()
    offset = 0
    for p in params:
        p.grad = direction[offset:offset + p.numel()].view_as(p).clone()
        offset += p.numel()
    with torch.no_grad():
        for p in params:
            p -= 0.1 * p.grad
    return {
        "gradient_seconds": gradient_seconds, "kept_graph_seconds": kept_graph_seconds,
        "solve_seconds": solve_seconds, "hvps": products[0],
        "hvp_seconds_each": products[1] / max(products[0], 1),
        "step_seconds": gradient_seconds + kept_graph_seconds + solve_seconds,
    }


def hvp_batch(network, images, labels, repeats):
    """Median loss+gradient and HVP times at one batch: double-backward and jvp-of-grad."""
    params = dict(network.named_parameters())
    names = list(params)
    v = {k: torch.randn_like(p) for k, p in params.items()}
    w = torch.tensor([0.5, 0.5])

    def loss_of(p):
        first, second = torch.func.functional_call(network, p, (images,))
        return w[0] * F.cross_entropy(first, labels[:, 0]) + w[1] * F.cross_entropy(second, labels[:, 1])

    def gradient():
        value = loss_of(params)
        torch.autograd.grad(value, [params[k] for k in names])

    def double_backward():
        value = loss_of(params)
        g = torch.autograd.grad(value, [params[k] for k in names], create_graph=True)
        dot = sum((gi * v[k]).sum() for gi, k in zip(g, names))
        torch.autograd.grad(dot, [params[k] for k in names])

    detached = {k: p.detach() for k, p in params.items()}

    def jvp_of_grad():
        torch.func.jvp(torch.func.grad(loss_of), (detached,), (v,))

    out = {}
    for name, f in [("grad_ms", gradient), ("hvp_double_backward_ms", double_backward), ("hvp_jvp_of_grad_ms", jvp_of_grad)]:
        f()
        samples = []
        for _ in range(repeats):
            t0 = time.perf_counter()
            f()
            samples.append(time.perf_counter() - t0)
        out[name] = 1e3 * sorted(samples)[len(samples) // 2]
    return out


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--train-size", type=int, default=20000)
    parser.add_argument("--hvp-batch", type=int, default=2048)
    parser.add_argument("--minres-iterations", type=int, default=50)
    parser.add_argument("--damping", type=float, default=0.1)
    parser.add_argument("--steps", type=int, default=1, help="tangent steps timed (each reported)")
    parser.add_argument("--bench-batch", type=int, default=256, help="batch of the loss+gradient / HVP timing; 0 skips it")
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", action="store_true")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    images = (torch.rand(args.train_size, 1, 28, 28) - 0.1307) / 0.3081
    labels = torch.randint(0, 10, (args.train_size, 2))
    network = MultiLeNet()
    record = {"torch": torch.__version__, "threads": torch.get_num_threads(),
              "train_images": args.train_size, "hvp_batch": args.hvp_batch,
              "minres_iterations": args.minres_iterations, "damping": args.damping}
    if args.bench_batch > 0:
        b = args.bench_batch
        record["bench_batch"] = b
        record.update(hvp_batch(network, images[:b], labels[:b], args.repeats))
    steps = [tangent_step(network, images, labels, args.hvp_batch, args.minres_iterations, args.damping,
                          torch.tensor([1.0, 0.0])) for _ in range(args.steps)]
    record["steps"] = steps
    record["step_seconds_median"] = sorted(s["step_seconds"] for s in steps)[len(steps) // 2]
    for key, value in record.items():
        if key != "steps":
            print(f"{key}: {value}")
    for i, s in enumerate(steps):
        print(f"step {i + 1}: " + ", ".join(f"{k} {v:.3f}" if isinstance(v, float) else f"{k} {v}" for k, v in s.items()))
    if args.json:
        print(json.dumps(record))


if __name__ == "__main__":
    main()
