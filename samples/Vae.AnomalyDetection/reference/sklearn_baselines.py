"""scikit-learn's usual anomaly detectors on exactly the rows the tabular command trains and tests on.

The tabular command writes its split as `split.csv` (`row,set`: the 0-based data row of the table and `train` or
`test`) in its output folder. This script reads the table and one or more such splits, standardises the features with
the training rows' mean and standard deviation (as the VAE's preprocessing does), fits each method on the training
rows, scores the test rows (higher = more anomalous) and reports ROC AUC and average precision, anomalies being the
rows whose label is not the normal one.

    dotnet run --project samples/Vae.AnomalyDetection -c Release -- tabular --seed 1 --output out-1
    OPENBLAS_NUM_THREADS=2 OMP_NUM_THREADS=1 /usr/bin/python3 samples/Vae.AnomalyDetection/reference/sklearn_baselines.py \
        --table samples/data/breast-cancer/breast_cancer.csv --split 1=out-1/split.csv --json samples/Vae.AnomalyDetection/reference/sklearn_baselines.json

Methods, with scikit-learn's defaults unless said: IsolationForest (random_state = the split's seed), OneClassSVM
(RBF kernel, gamma 'scale', nu 0.1), LocalOutlierFactor (novelty=True, 20 neighbours), PCA reconstruction error
(the components that keep 95% of the training variance; the score is the squared distance to that subspace).
"""
import argparse
import csv
import json
import platform

import numpy as np
import sklearn
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler
from sklearn.svm import OneClassSVM


def read_table(path, label_column):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    features = [name for name in rows[0] if name != label_column]
    x = np.array([[float(row[name]) for name in features] for row in rows])
    labels = [row[label_column] for row in rows]
    return x, labels


def read_split(path):
    with open(path, newline="") as f:
        rows = list(csv.DictReader(f))
    train = np.array([int(r["row"]) for r in rows if r["set"] == "train"])
    test = np.array([int(r["row"]) for r in rows if r["set"] == "test"])
    return train, test


def scores(method, seed, train, test):
    if method == "IsolationForest":
        return -IsolationForest(random_state=seed).fit(train).score_samples(test)
    if method == "OneClassSVM":
        return -OneClassSVM(kernel="rbf", gamma="scale", nu=0.1).fit(train).decision_function(test)
    if method == "LocalOutlierFactor":
        return -LocalOutlierFactor(n_neighbors=20, novelty=True).fit(train).score_samples(test)
    if method == "PCA reconstruction":
        pca = PCA(n_components=0.95, svd_solver="full").fit(train)
        reconstructed = pca.inverse_transform(pca.transform(test))
        return ((test - reconstructed) ** 2).sum(axis=1)
    raise ValueError(method)


METHODS = ["IsolationForest", "OneClassSVM", "LocalOutlierFactor", "PCA reconstruction"]


def main():
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--table", required=True)
    parser.add_argument("--label", default="label")
    parser.add_argument("--normal", default="benign")
    parser.add_argument("--split", action="append", required=True, help="SEED=PATH of a split.csv written by the tabular command; repeat for several seeds")
    parser.add_argument("--json", help="write the figures to this file")
    args = parser.parse_args()

    x, labels = read_table(args.table, args.label)
    anomalous = np.array([label != args.normal for label in labels])
    figures = {}
    for item in args.split:
        seed, path = item.split("=", 1)
        train_rows, test_rows = read_split(path)
        scaler = StandardScaler().fit(x[train_rows])
        train, test = scaler.transform(x[train_rows]), scaler.transform(x[test_rows])
        truth = anomalous[test_rows]
        figures[seed] = {}
        for method in METHODS:
            s = scores(method, int(seed), train, test)
            figures[seed][method] = {"auroc": roc_auc_score(truth, s), "average_precision": average_precision_score(truth, s)}
            print(f"seed {seed}  {method:20s} AUROC {figures[seed][method]['auroc']:.3f}  AP {figures[seed][method]['average_precision']:.3f}")
    for method in METHODS:
        values = [figures[seed][method]["auroc"] for seed in figures]
        print(f"mean over {len(values)} split(s)  {method:20s} AUROC {np.mean(values):.3f} (min {min(values):.3f}, max {max(values):.3f})")
    if args.json:
        with open(args.json, "w") as f:
            json.dump({"sklearn": sklearn.__version__, "numpy": np.__version__, "python": platform.python_version(),
                       "table": args.table.split("/")[-1], "normal": args.normal, "seeds": figures}, f, indent=2)
            f.write("\n")


if __name__ == "__main__":
    main()
