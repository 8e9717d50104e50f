"""RecVAE (Shenbin, Alekseev, Tutubalina, Malykh, Nikolenko, WSDM 2020) in PyTorch, the recipe of the authors' code
(github.com/ilya-shenbin/RecVAE, model.py and run.py, run as its README does for ML-20M: --gamma 0.005): the reference
the .NET RecVAE (`Vae.Recommendation --model recvae`) is compared with on the same files.

The recipe, as that code has it:
- encoder: clicks scaled to unit length, dropout (0.5 in encoder passes, 0 in decoder passes), five dense layers of 600
  in which layer i takes the sum of all earlier layers' outputs besides its own product, swish, LayerNorm(eps 0.1);
  heads for the mean and log-variance of a 200-dimensional z; decoder: one linear layer, multinomial log-likelihood;
- composite prior: log of 3/20 N(0, I) + 3/4 q_old(z|x) + 1/10 N(0, e^10 I), q_old a frozen copy of the encoder taken
  after every encoder phase (its dropout 0);
- the KL term, a one-sample estimate log q(z|x) - log p(z), weighted per user by gamma times that user's clicks;
- alternating: each epoch three passes over the shuffled training users stepping only the encoder's Adam, the prior
  refresh, one pass stepping only the decoder's Adam (both Adam lr 5e-4), batches of 500; z is sampled in both;
- the epoch with the best validation NDCG@100 kept, and its test NDCG@100, Recall@20 and Recall@50 reported.

Reads the reference layout (unique_sid.txt, train.csv, validation_tr/te.csv, test_tr/te.csv) through the Mult-VAE
reference's loader, and ranks as it does (clicked items excluded). Training speed is reported as training users per
second of an epoch (one epoch = the four passes), the figure the .NET sample prints:

    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=1 /usr/bin/python3 recvae_pytorch.py DIR --epochs 50 --threads 2
"""
import math
import time

import numpy as np
import torch
import torch.nn.functional as F

from multvae_pytorch import Epochs, arguments, prepare

LOG_2PI = math.log(2 * math.pi)


def swish(x):
    return x * torch.sigmoid(x)


def log_normal(z, mean, logvar):
    return -0.5 * (logvar + LOG_2PI + (z - mean).pow(2) / logvar.exp())


class Encoder(torch.nn.Module):
    def __init__(self, n_items, hidden=600, latent=200, eps=0.1):
        super().__init__()
        self.dense = torch.nn.ModuleList([torch.nn.Linear(n_items if i == 0 else hidden, hidden) for i in range(5)])
        self.norms = torch.nn.ModuleList([torch.nn.LayerNorm(hidden, eps=eps) for _ in range(5)])
        self.mean = torch.nn.Linear(hidden, latent)
        self.logvar = torch.nn.Linear(hidden, latent)

    def forward(self, x, dropout):
        x = x / x.pow(2).sum(dim=-1).sqrt()[:, None]
        x = F.dropout(x, p=dropout, training=self.training)
        outputs = []
        for dense, norm in zip(self.dense, self.norms):
            h = dense(x if not outputs else outputs[-1])
            for earlier in outputs:
                h = h + earlier
            outputs.append(norm(swish(h)))
        return self.mean(outputs[-1]), self.logvar(outputs[-1])


class RecVAE(torch.nn.Module):
    MIXTURE = (3 / 20, 3 / 4, 1 / 10)

    def __init__(self, n_items, hidden=600, latent=200):
        super().__init__()
        self.encoder = Encoder(n_items, hidden, latent)
        self.old_encoder = Encoder(n_items, hidden, latent)
        self.old_encoder.requires_grad_(False)
        self.decoder = torch.nn.Linear(latent, n_items)
        self.refresh_prior()

    def refresh_prior(self):
        self.old_encoder.load_state_dict(self.encoder.state_dict())

    def prior(self, x, z):
        old_mean, old_logvar = self.old_encoder(x, 0)
        zero = torch.zeros_like(z)
        parts = [log_normal(z, zero, zero), log_normal(z, old_mean, old_logvar), log_normal(z, zero, zero + 10)]
        return torch.logsumexp(torch.stack([p + math.log(w) for p, w in zip(parts, self.MIXTURE)], dim=-1), dim=-1)

    def loss(self, x, gamma, dropout):
        mean, logvar = self.encoder(x, dropout)
        z = mean + torch.randn_like(mean) * torch.exp(0.5 * logvar)
        log_likelihood = (F.log_softmax(self.decoder(z), dim=-1) * x).sum(dim=-1).mean()
        kl = ((log_normal(z, mean, logvar) - self.prior(x, z)).sum(dim=-1) * (gamma * x.sum(dim=-1))).mean()
        return kl - log_likelihood

    def forward(self, x):
        """Scores for ranking: the decoder at the posterior mean (as the reference's eval mode)."""
        mean, _ = self.encoder(x, 0)
        return self.decoder(mean), None


def main():
    parser = arguments(epochs=50)
    parser.add_argument("--gamma", type=float, default=0.005)
    parser.add_argument("--lr", type=float, default=5e-4)
    parser.add_argument("--encoder-passes", type=int, default=3)
    args = parser.parse_args()
    rng, started, (n_items, train, validation, test) = prepare(args)
    model = RecVAE(n_items)
    encoder_adam = torch.optim.Adam(model.encoder.parameters(), lr=args.lr)
    decoder_adam = torch.optim.Adam(model.decoder.parameters(), lr=args.lr)
    order = np.arange(train.n_users)

    def one_pass(optimizer, dropout):
        rng.shuffle(order)
        for start in range(0, len(order), args.batch):
            x = train.dense(order[start:start + args.batch])
            optimizer.zero_grad()
            loss = model.loss(x, args.gamma, dropout)
            loss.backward()
            optimizer.step()
        return loss

    epochs = Epochs(validation, args.no_validation)
    model.train()
    for epoch in range(1, args.epochs + 1):
        clock = time.time()
        for _ in range(args.encoder_passes):
            one_pass(encoder_adam, 0.5)
        model.refresh_prior()
        loss = one_pass(decoder_adam, 0.0)
        epochs.end(model, epoch, loss, len(order) / (time.time() - clock))
    epochs.report(model, n_items, test, started)


if __name__ == "__main__":
    main()
