# The learning rates PyTorch's ReduceLROnPlateau gives for a fixed series of validation losses; the numbers are
# written into LearningRateScheduleTests.PlateauFollowsPyTorch. Run: OMP_NUM_THREADS=1 python3 reduce_on_plateau.py
import torch

parameter = torch.nn.Parameter(torch.zeros(1))
optimizer = torch.optim.SGD([parameter], lr=1.0)
scheduler = torch.optim.lr_scheduler.ReduceLROnPlateau(
    optimizer, mode="min", factor=0.5, patience=1, threshold=0.01, threshold_mode="rel", cooldown=1, min_lr=0.1)
losses = [1.0, 0.9, 0.895, 0.95, 0.95, 0.8, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85, 0.85]
rates = []
for loss in losses:
    scheduler.step(loss)
    rates.append(optimizer.param_groups[0]["lr"])
print("losses:", losses)
print("rates: ", rates)
