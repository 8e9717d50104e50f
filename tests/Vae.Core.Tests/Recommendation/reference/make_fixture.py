"""Writes reference_fixture.json: EASE weights and ranking metrics computed with NumPy, independently of Vae.

The metrics follow the Mult-VAE reference notebook (github.com/dawenl/vae_cf): fold-in items scored -inf, the top k
by partition then sort, DCG with 1/log2(rank + 1), IDCG over min(k, held-out count), recall divided by
min(k, held-out count). np.argpartition stands in for bottleneck's argpartition (same contract). EASE follows
Steck (WWW 2019): P = inv(X'X + lambda I), B = -P / diag(P) column-wise, diag(B) = 0.

Run with a Python that has NumPy:  python3 make_fixture.py  (deterministic for a given NumPy).
"""
import json

import numpy as np

rng = np.random.RandomState(2018)
train_users, items, heldout_users = 60, 30, 12
lam = 7.0
ks_ndcg, ks_recall = [5, 10], [3, 10]

# Users prefer one of three item groups, so EASE has structure to find.
group_of_item = np.arange(items) % 3
def clicks(n):
    group = rng.randint(3, size=n)
    p = np.where(group_of_item[None, :] == group[:, None], 0.5, 0.08)
    return (rng.rand(n, items) < p).astype(np.float64)

x = clicks(train_users)
g = x.T @ x
g[np.diag_indices(items)] += lam
p = np.linalg.inv(g)
b = p / (-np.diag(p))
b[np.diag_indices(items)] = 0

fold_in = clicks(heldout_users)
held_out = np.zeros_like(fold_in)
for u in range(heldout_users):
    clicked = np.flatnonzero(fold_in[u])
    chosen = rng.choice(clicked, size=max(1, len(clicked) // 4), replace=False)
    fold_in[u, chosen] = 0
    held_out[u, chosen] = 1
held_out[0] = 0
held_out[0, np.flatnonzero(fold_in[0] == 0)[:2]] = 1  # a user with 2 held-out items: fewer than every k

# Continuous, so the top k has no ties; shifted towards the held-out items so that the metrics are neither 0 nor 1.
scores = rng.randn(heldout_users, items) + 1.2 * held_out
masked = scores.copy()
masked[fold_in.nonzero()] = -np.inf

def ndcg(k):
    top = np.argpartition(-masked, k, axis=1)[:, :k]
    order = np.argsort(-masked[np.arange(heldout_users)[:, None], top], axis=1)
    top = top[np.arange(heldout_users)[:, None], order]
    discount = 1.0 / np.log2(np.arange(2, k + 2))
    dcg = (held_out[np.arange(heldout_users)[:, None], top] * discount).sum(axis=1)
    idcg = np.array([discount[:min(int(n), k)].sum() for n in held_out.sum(axis=1)])
    return dcg / idcg

def recall(k):
    top = np.argpartition(-masked, k, axis=1)[:, :k]
    hit = np.zeros_like(held_out, dtype=bool)
    hit[np.arange(heldout_users)[:, None], top] = True
    return np.logical_and(hit, held_out > 0).sum(axis=1) / np.minimum(k, held_out.sum(axis=1))

def pairs(m):
    u, i = m.nonzero()
    return {"users": u.tolist(), "items": i.tolist()}

fixture = {
    "numpy": np.__version__,
    "items": items,
    "lambda": lam,
    "train": pairs(x),
    "ease_weights": b.ravel().tolist(),
    "fold_in": pairs(fold_in),
    "held_out": pairs(held_out),
    "scores": scores.ravel().tolist(),
    "ease_scores": (fold_in @ b).ravel().tolist(),
    "ndcg": {str(k): ndcg(k).tolist() for k in ks_ndcg},
    "recall": {str(k): recall(k).tolist() for k in ks_recall},
}
with open("reference_fixture.json", "w") as f:
    json.dump(fixture, f, indent=1)
