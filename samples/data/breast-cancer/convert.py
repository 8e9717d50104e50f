"""Converts scikit-learn's copy of the Wisconsin Diagnostic Breast Cancer table into a plain CSV.

The source, /usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv in Debian's python3-sklearn,
starts with a line of counts and class names and codes the class as 0 (malignant) and 1 (benign). The output has
scikit-learn's 30 feature names as its header, then `label` spelled out, one row per sample in the source's order.

    /usr/bin/python3 samples/data/breast-cancer/convert.py > samples/data/breast-cancer/breast_cancer.csv
"""
import csv
import sys

from sklearn.datasets import load_breast_cancer

data = load_breast_cancer()
names = list(data.target_names)  # ['malignant', 'benign']
with open(sys.argv[1] if len(sys.argv) > 1 else "/usr/lib/python3/dist-packages/sklearn/datasets/data/breast_cancer.csv") as source:
    rows = list(csv.reader(source))[1:]  # the first line holds counts and class names, not data
writer = csv.writer(sys.stdout, lineterminator="\n")
writer.writerow(list(data.feature_names) + ["label"])
for row in rows:
    # The values are copied as text, so nothing is rounded on the way.
    writer.writerow(row[:-1] + [names[int(row[-1])]])
