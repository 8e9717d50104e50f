#!/usr/bin/env python3
"""Copies a NAB-layout folder (DIR/<category>/<name>.csv, header timestamp,value) with runs of values blanked to NaN.

Usage: blank_values.py SOURCE_DIR OUT_DIR [--start-rate 0.01] [--longest 10] [--seed 1]

At each row a gap starts with probability --start-rate and blanks the next 1 to --longest values (uniformly), then
the walk resumes after it; timestamps are kept, so the detector sees missing values, not missing rows. Other files
(labels/, README.md) are copied unchanged. With the defaults about 5.5% of the values are blanked. Standard library only.
"""
import argparse
import os
import random
import shutil


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("source")
    parser.add_argument("out")
    parser.add_argument("--start-rate", type=float, default=0.01)
    parser.add_argument("--longest", type=int, default=10)
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    random.seed(args.seed)
    shutil.copytree(args.source, args.out)
    for category in sorted(os.listdir(args.out)):
        folder = os.path.join(args.out, category)
        if not os.path.isdir(folder) or category == "labels":
            continue
        for name in sorted(os.listdir(folder)):
            if not name.endswith(".csv"):
                continue
            path = os.path.join(folder, name)
            with open(path) as f:
                lines = f.read().splitlines()
            i = 1
            while i < len(lines):
                if random.random() < args.start_rate:
                    length = random.randint(1, args.longest)
                    for j in range(i, min(len(lines), i + length)):
                        lines[j] = lines[j].split(",", 1)[0] + ",NaN"
                    i += length
                i += 1
            with open(path, "w") as f:
                f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
