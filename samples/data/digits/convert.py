"""Converts scikit-learn's copy of the UCI optical handwritten digits table into a plain CSV.

The source, /usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz in Debian's python3-sklearn, is a
gzipped CSV without a header: 64 whole-number pixel counts (0 to 16, an 8x8 image row by row) and the digit. The output has
scikit-learn's feature names (pixel_0_0 to pixel_7_7) as its header, then `label` (the digit, 0 to 9), one row per
sample in the source's order.

    /usr/bin/python3 samples/data/digits/convert.py > samples/data/digits/digits.csv
"""
import csv
import gzip
import sys

from sklearn.datasets import load_digits

data = load_digits()
with gzip.open(sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/python3/dist-packages/sklearn/datasets/data/digits.csv.gz", "rt") as source:
    rows = list(csv.reader(source))
writer = csv.writer(sys.stdout, lineterminator="\n")
writer.writerow(list(data.feature_names) + ["label"])
for row in rows:
    # The values are copied as text, unchanged; each must be a whole number, as the descr file says.
    if len(row) != 65 or not all(v.isdigit() for v in row):
        sys.exit(f"unexpected row {row!r}")
    writer.writerow(row)
