"""The convolutional VAE of Vae.Core (VaeArchitecture.Convolutional, the defaults) in PyTorch: the reference the .NET
benchmark (`Vae.Benchmarks conv`) is compared with.

1x28x28 -> Conv2d(1, 32, 4, 2, 1) -> ReLU -> Conv2d(32, 64, 4, 2, 1) -> ReLU -> Linear(3136, 400) -> ReLU -> two heads
Linear(400, 20); the decoder Linear(20, 400) -> ReLU -> Linear(400, 3136) -> ReLU -> ConvTranspose2d(64, 32, 4, 2, 1)
-> ReLU -> ConvTranspose2d(32, 1, 4, 2, 1), Bernoulli likelihood on logits, summed negative ELBO, Adam 1e-3, batches
of 128, reshuffled every epoch. Trains on the shipped digits (train-images: 8,000), prints images/s per epoch and the test
loss (nats per image) on the 2,000 of t10k-images.

PyTorch's best settings for convolutions on 2 cores (oneDNN/OpenMP threads, single-threaded BLAS):
    OMP_NUM_THREADS=2 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 convvae_pytorch.py DATA_DIR --epochs 3 --threads 2
"""
import argparse
import gzip
import os
import struct
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_images(path):
    with gzip.open(path, "rb") as f:
        _, count, rows, columns = struct.unpack(">IIII", f.read(16))
        return np.frombuffer(f.read(), dtype=np.uint8).reshape(count, rows * columns).astype(np.float32) / 255.0


class ConvVae(nn.Module):
    def __init__(self, channels=(32, 64), hidden=400, latent=20):
        super().__init__()
        self.conv1 = nn.Conv2d(1, channels[0], 4, 2, 1)
        self.conv2 = nn.Conv2d(channels[0], channels[1], 4, 2, 1)
        self.fc = nn.Linear(channels[1] * 49, hidden)
        self.mean = nn.Linear(hidden, latent)
        self.logvar = nn.Linear(hidden, latent)
        self.dfc1 = nn.Linear(latent, hidden)
        self.dfc2 = nn.Linear(hidden, channels[1] * 49)
        self.deconv1 = nn.ConvTranspose2d(channels[1], channels[0], 4, 2, 1)
        self.deconv2 = nn.ConvTranspose2d(channels[0], 1, 4, 2, 1)
        self.channels = channels

    def forward(self, x):
        h = F.relu(self.conv2(F.relu(self.conv1(x.view(-1, 1, 28, 28))))).flatten(1)
        h = F.relu(self.fc(h))
        mean, logvar = self.mean(h), self.logvar(h)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        d = F.relu(self.dfc2(F.relu(self.dfc1(z)))).view(-1, self.channels[1], 7, 7)
        logits = self.deconv2(F.relu(self.deconv1(d))).flatten(1)
        return logits, mean, logvar


def loss_terms(model, x):
    logits, mean, logvar = model(x)
    reconstruction = F.binary_cross_entropy_with_logits(logits, x, reduction="sum")
    kl = -0.5 * torch.sum(1 + logvar - mean.pow(2) - logvar.exp())
    return reconstruction, kl


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("data", help="folder with train- and t10k-images-idx3-ubyte.gz (the shipped 10,000 digits)")
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(args.seed)
    train = torch.from_numpy(read_images(os.path.join(args.data, "train-images-idx3-ubyte.gz")))
    test = torch.from_numpy(read_images(os.path.join(args.data, "t10k-images-idx3-ubyte.gz")))
    model = ConvVae()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    print(f"torch {torch.__version__}, {torch.get_num_threads()} threads, OMP_NUM_THREADS={os.environ.get('OMP_NUM_THREADS')}, "
          f"OPENBLAS_NUM_THREADS={os.environ.get('OPENBLAS_NUM_THREADS')}")
    for epoch in range(1, args.epochs + 1):
        start, cpu = time.perf_counter(), time.process_time()
        total = 0.0
        for batch in train[torch.randperm(len(train))].split(128):
            reconstruction, kl = loss_terms(model, batch)
            loss = reconstruction + kl
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            total += loss.item()
        seconds, cpu = time.perf_counter() - start, time.process_time() - cpu
        # Per second of this process's CPU time too: on a crowded machine it counts only the time the work ran.
        print(f"epoch {epoch}: {len(train) / seconds:,.0f} images/s, {len(train) / cpu:,.0f} per CPU-second, "
              f"train loss {total / len(train):.2f}", flush=True)
    with torch.no_grad():
        reconstruction, kl = loss_terms(model, test)
    print(f"test loss {(reconstruction + kl).item() / len(test):.2f} nats per image")


if __name__ == "__main__":
    main()
