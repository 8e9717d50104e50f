"""Mult-VAE (Liang et al., WWW 2018) in PyTorch, the recipe of github.com/dawenl/vae_cf with dense input as that code
feeds it: the reference the .NET benchmark (`Vae.Benchmarks recommend`) and the sample are compared with.

Reads a folder in the reference layout (unique_sid.txt, train.csv, validation_tr/te.csv, test_tr/te.csv), trains
I-600-200-600-I with input dropout 0.5, tanh, the KL weight min(0.2, step / 200000), Adam 1e-3 and batches of 500,
evaluates NDCG@100 on the validation users after every epoch, keeps the best epoch and reports its test NDCG@100,
Recall@20 and Recall@50, training users per second (per epoch) and recommendation users per second.

    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=1 /usr/bin/python3 multvae_pytorch.py DIR --epochs 2 --threads 2

Debian's python3-torch 2.6 multiplies through whatever libblas.so.3 the system selects; on a machine where that is
the netlib reference BLAS (1.6 GFLOP/s for a 500 x 600 x 20,000 product here) the comparison would be meaningless.
The figures in the README were taken with OpenBLAS 0.3.21 unpacked beside it, without installing it:
    apt-get download libopenblas0-pthread && dpkg -x libopenblas0-pthread_*.deb openblas
    LD_LIBRARY_PATH=$PWD/openblas/usr/lib/x86_64-linux-gnu/openblas-pthread OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=1 \
        /usr/bin/python3 multvae_pytorch.py DIR --epochs 2 --no-validation
"""
import argparse
import json
import resource
import time

import numpy as np
import torch
import torch.nn.functional as F


def read_pairs(path):
    data = np.loadtxt(path, delimiter=",", skiprows=1, dtype=np.int64, ndmin=2)
    return data[:, 0], data[:, 1]


class Csr:
    """Rows of (user, item) pairs; dense() materialises one batch, like the reference's X[idx].toarray()."""

    def __init__(self, users, items, n_users, n_items):
        order = np.lexsort((items, users))
        self.items = items[order]
        self.pointers = np.zeros(n_users + 1, dtype=np.int64)
        np.add.at(self.pointers, users + 1, 1)
        self.pointers = np.cumsum(self.pointers)
        self.n_users, self.n_items = n_users, n_items

    def rows(self, idx):
        return [self.items[self.pointers[u]:self.pointers[u + 1]] for u in idx]

    def dense(self, idx):
        x = torch.zeros(len(idx), self.n_items)
        lists = self.rows(idx)
        r = np.repeat(np.arange(len(idx)), [len(l) for l in lists])
        c = np.concatenate(lists) if lists else np.zeros(0, dtype=np.int64)
        x[torch.from_numpy(r), torch.from_numpy(c)] = 1.0
        return x


def load(folder):
    n_items = sum(1 for _ in open(f"{folder}/unique_sid.txt"))
    u, i = read_pairs(f"{folder}/train.csv")
    train = Csr(u, i, u.max() + 1, n_items)

    def held_out(name):
        tu, ti = read_pairs(f"{folder}/{name}_tr.csv")
        eu, ei = read_pairs(f"{folder}/{name}_te.csv")
        first = min(tu.min(), eu.min())
        count = max(tu.max(), eu.max()) - first + 1
        return Csr(tu - first, ti, count, n_items), Csr(eu - first, ei, count, n_items)

    return n_items, train, held_out("validation"), held_out("test")


class MultVAE(torch.nn.Module):
    def __init__(self, n_items, hidden=600, latent=200, dropout=0.5):
        super().__init__()
        self.latent = latent
        self.encoder = torch.nn.ModuleList([torch.nn.Linear(n_items, hidden), torch.nn.Linear(hidden, 2 * latent)])
        self.decoder = torch.nn.ModuleList([torch.nn.Linear(latent, hidden), torch.nn.Linear(hidden, n_items)])
        self.dropout = torch.nn.Dropout(dropout)
        for layer in list(self.encoder) + list(self.decoder):
            torch.nn.init.xavier_uniform_(layer.weight)
            torch.nn.init.trunc_normal_(layer.bias, std=0.001, a=-0.002, b=0.002)

    def forward(self, x):
        h = self.dropout(F.normalize(x, dim=1))
        h = torch.tanh(self.encoder[0](h))
        h = self.encoder[1](h)
        mu, logvar = h[:, :self.latent], h[:, self.latent:]
        z = mu + torch.randn_like(mu) * torch.exp(0.5 * logvar) if self.training else mu
        logits = self.decoder[1](torch.tanh(self.decoder[0](z)))
        kl = torch.mean(torch.sum(0.5 * (-logvar + torch.exp(logvar) + mu ** 2 - 1), dim=1))
        return logits, kl


def ranking(model, fold_in, held_out, batch=2000, recalls=()):
    model.eval()
    ndcgs, recall_values = [], {k: [] for k in recalls}
    discount = 1.0 / np.log2(np.arange(2, 102))
    with torch.no_grad():
        for start in range(0, fold_in.n_users, batch):
            idx = np.arange(start, min(start + batch, fold_in.n_users))
            x = fold_in.dense(idx)
            scores, _ = model(x)
            scores[x > 0] = -np.inf
            top = torch.topk(scores, 100, dim=1).indices.numpy()
            for r, target in enumerate(held_out.rows(idx)):
                if len(target) == 0:
                    continue
                hits = np.isin(top[r], target)
                ndcgs.append((hits * discount).sum() / discount[:min(len(target), 100)].sum())
                for k in recalls:
                    recall_values[k].append(hits[:k].sum() / min(k, len(target)))
    model.train()
    return float(np.mean(ndcgs)), {k: float(np.mean(v)) for k, v in recall_values.items()}


def arguments(epochs):
    """The options both references take: the folder, epochs, seed, threads, batch size, --no-validation."""
    parser = argparse.ArgumentParser()
    parser.add_argument("folder")
    parser.add_argument("--epochs", type=int, default=epochs)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--batch", type=int, default=500)
    parser.add_argument("--no-validation", action="store_true", help="time training only")
    return parser


def prepare(args):
    """Threads and seeds set, the clock started, the folder read: (rng, started, (n_items, train, validation, test))."""
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    rng = np.random.RandomState(args.seed)
    return rng, time.time(), load(args.folder)


class Epochs:
    """After every epoch: the training rate, the validation NDCG@100 and the best epoch's weights; at the end, the report."""

    def __init__(self, validation, no_validation):
        self.validation, self.no_validation = validation, no_validation
        self.best, self.best_epoch, self.best_state, self.rates = -np.inf, 0, None, []

    def end(self, model, epoch, loss, rate):
        self.rates.append(rate)
        if not self.no_validation:
            ndcg, _ = ranking(model, *self.validation)
            if ndcg > self.best:
                self.best, self.best_epoch = ndcg, epoch
                self.best_state = {k: v.clone() for k, v in model.state_dict().items()}
            print(f"epoch {epoch}: loss {loss.item():.3f}, {rate:.0f} users/s, validation NDCG@100 {ndcg:.4f}", flush=True)
        else:
            print(f"epoch {epoch}: loss {loss.item():.3f}, {rate:.0f} users/s", flush=True)

    def report(self, model, n_items, test, started):
        report(model, self.best_state, self.best, self.best_epoch, self.rates, n_items, test, started)


def main():
    parser = arguments(epochs=200)
    parser.add_argument("--anneal-steps", type=int, default=200000)
    parser.add_argument("--anneal-cap", type=float, default=0.2)
    args = parser.parse_args()
    rng, started, (n_items, train, validation, test) = prepare(args)
    model = MultVAE(n_items)
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    order = np.arange(train.n_users)
    update_count, epochs = 0, Epochs(validation, args.no_validation)
    for epoch in range(1, args.epochs + 1):
        rng.shuffle(order)
        clock = time.time()
        for start in range(0, len(order), args.batch):
            x = train.dense(order[start:start + args.batch])
            anneal = min(args.anneal_cap, update_count / args.anneal_steps) if args.anneal_steps > 0 else args.anneal_cap
            logits, kl = model(x)
            neg_ll = -torch.mean(torch.sum(F.log_softmax(logits, 1) * x, -1))
            loss = neg_ll + anneal * kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            update_count += 1
        epochs.end(model, epoch, loss, len(order) / (time.time() - clock))
    epochs.report(model, n_items, test, started)


def report(model, best_state, best, best_epoch, rates, n_items, test, started):
    """Restores the best epoch's weights, ranks the test users and prints the run's figures as one JSON line."""
    if best_state is not None:
        model.load_state_dict(best_state)
    clock = time.time()
    ndcg, recall = ranking(model, test[0], test[1], recalls=(20, 50))
    recommend_rate = test[0].n_users / (time.time() - clock)
    print(json.dumps({
        "items": n_items, "test_ndcg_at_100": ndcg, "test_recall_at_20": recall[20], "test_recall_at_50": recall[50],
        "best_epoch": best_epoch or None, "validation_ndcg_at_100": best if best_state is not None else None,
        "users_per_second_per_epoch": [round(r) for r in rates], "recommend_users_per_second": recommend_rate,
        "seconds": time.time() - started, "peak_working_set_mib": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
        "torch": torch.__version__, "threads": torch.get_num_threads()}))

if __name__ == "__main__":
    main()
