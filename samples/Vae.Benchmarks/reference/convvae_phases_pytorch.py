"""PyTorch's time, one thread, for the pieces of the convolutional VAE's training step that Vae.Benchmarks
`conv --profile` times in the fused step: the two large dense products (forward, and the input and weight gradients),
the strided convolutions and the transposed ones, batch 128, the default network's shapes.

    OMP_NUM_THREADS=1 OPENBLAS_NUM_THREADS=1 /usr/bin/python3 convvae_phases_pytorch.py
"""
import time

import torch
import torch.nn as nn


def milliseconds(step, repeats=50):
    """Mean wall time of step() in ms, after one untimed call."""
    step()
    start = time.perf_counter()
    for _ in range(repeats):
        step()
    return (time.perf_counter() - start) / repeats * 1000


def main():
    torch.set_num_threads(1)
    torch.manual_seed(1)
    batch = 128
    flat, hidden = 3136, 400
    x, weight, grad = torch.randn(batch, flat), torch.randn(hidden, flat) * 0.01, torch.randn(batch, hidden)
    h, weight2, grad2 = torch.randn(batch, hidden), torch.randn(flat, hidden) * 0.01, torch.randn(batch, flat)
    print(f"encoder dense forward      {milliseconds(lambda: x @ weight.t()):6.2f} ms")
    print(f"decoder dense forward      {milliseconds(lambda: h @ weight2.t()):6.2f} ms")
    print(f"encoder dense backward     {milliseconds(lambda: (grad @ weight, grad.t() @ x)):6.2f} ms")
    print(f"decoder dense backward     {milliseconds(lambda: (grad2 @ weight2, grad2.t() @ h)):6.2f} ms")
    images, maps = torch.randn(batch, 1, 28, 28), torch.randn(batch, 32, 14, 14)
    conv1, conv2 = nn.Conv2d(1, 32, 4, 2, 1), nn.Conv2d(32, 64, 4, 2, 1)
    with torch.no_grad():
        print(f"convolution 1 forward      {milliseconds(lambda: conv1(images)):6.2f} ms")
        print(f"convolution 2 forward      {milliseconds(lambda: conv2(maps)):6.2f} ms")

    def convolution2_forward_and_backward():
        a = maps.clone().requires_grad_()
        y = conv2(a)
        y.backward(torch.ones_like(y))

    print(f"convolution 2 fwd + bwd    {milliseconds(convolution2_forward_and_backward):6.2f} ms")
    deconv1, deconv2 = nn.ConvTranspose2d(64, 32, 4, 2, 1), nn.ConvTranspose2d(32, 1, 4, 2, 1)
    codes = torch.randn(batch, 64, 7, 7)
    with torch.no_grad():
        print(f"transposed 1 forward       {milliseconds(lambda: deconv1(codes)):6.2f} ms")
        print(f"transposed 2 forward       {milliseconds(lambda: deconv2(maps)):6.2f} ms")


if __name__ == "__main__":
    main()
