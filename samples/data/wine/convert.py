"""Converts scikit-learn's copy of the UCI wine recognition table into a plain CSV.

The source, /usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv in Debian's python3-sklearn, starts with
a line of counts and class names and codes the cultivar as 0, 1 or 2. The output has scikit-learn's 13 feature names
as its header, then `label` spelled as scikit-learn's class name (class_0, class_1, class_2), one row per sample in the
source's order.

    /usr/bin/python3 samples/data/wine/convert.py > samples/data/wine/wine.csv
"""
import csv
import sys

from sklearn.datasets import load_wine

data = load_wine()
names = list(data.target_names)  # ['class_0', 'class_1', 'class_2']
with open(sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/python3/dist-packages/sklearn/datasets/data/wine_data.csv") as source:
    rows = list(csv.reader(source))[1:]  # the first line holds counts and class names, not data
writer = csv.writer(sys.stdout, lineterminator="\n")
writer.writerow(list(data.feature_names) + ["label"])
for row in rows:
    # The values are copied as text, so nothing is rounded on the way.
    writer.writerow(row[:-1] + [names[int(row[-1])]])
