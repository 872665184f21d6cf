"""Oracle cases for the model-task metrics and CBPE, computed by scikit-learn 1.2 and numpy.

Writes test/fixtures/task-cases.json, which src/stats/*.test.ts check the TypeScript against
(through src/stats/taskOracle.testing.ts). Nothing here is computed by driftwatch's code.

Regenerate (Debian's scikit-learn, not the pyenv python on PATH):

    apt-get install -y python3-sklearn        # scikit-learn 1.2.1, numpy 1.24.2, scipy 1.10.1
    /usr/bin/python3 test/oracles/generate_task_cases.py

The output is deterministic (seeded numpy Generator): regenerating with the same library
versions rewrites the same bytes. The fixture is committed; npm test never runs this script.

What each section holds (the definitions are DESIGN.md's "Model tasks"):
- binary: scores, labels, threshold t (predicted 1 when score >= t), the ECE bin count, and
  sklearn's roc_auc_score, accuracy/precision/recall/f1 (zero_division=0), log_loss
  (labels=[0, 1], eps = float64 machine epsilon), brier_score_loss, the confusion counts,
  calibration_curve(strategy='uniform') and the expected calibration error computed in numpy
  from the same bins (sum over non-empty bins of count/n * |prob_true - prob_pred|).
- multiclass: labels, predictions (class names), optional class score columns; classes =
  sorted union of labels, predictions and score columns (passed to sklearn as labels=, so a
  class seen only in the scores counts in the macro averages); roc_auc_ovr from
  roc_auc_score(multi_class='ovr', average='macro') and, independently, each class's binary
  roc_auc_score; None where sklearn raises (a class absent from the labels).
- regression: sklearn's mean_absolute_error, sqrt(mean_squared_error) (1.2 has no
  root_mean_squared_error), mean_absolute_percentage_error, r2_score (force_finite default).
- isotonic: IsotonicRegression(out_of_bounds='clip', y_min=0, y_max=1) fitted on (x, y):
  X_thresholds_, y_thresholds_ and predictions at given points.
- cbpe_binary / cbpe_multiclass: the calibrator(s) fitted on a labelled reference, applied
  to analysis windows, and CBPE's expected confusion counts and metrics computed in numpy
  from the calibrated probabilities, as DESIGN.md defines them. Multiclass calibrates one
  vs rest per class and renormalises each row to sum 1 (uniform when every calibrated
  probability is 0), as NannyML does. The expected AUROC is that of the expected positive
  and negative score distributions (weights p and 1 - p at each raw score, ties counted
  half); roc_auc_nannyml is NannyML's formula (cumulative calibrated sums in descending
  score order, trapezoid), given for windows without tied scores, where the two agree.
"""

import json
import math
import os
import sys

import numpy as np
import scipy
import sklearn
from sklearn.calibration import calibration_curve
from sklearn.isotonic import IsotonicRegression
from sklearn.metrics import (
    accuracy_score,
    auc,
    brier_score_loss,
    confusion_matrix,
    f1_score,
    log_loss,
    mean_absolute_error,
    mean_absolute_percentage_error,
    mean_squared_error,
    precision_recall_fscore_support,
    precision_score,
    r2_score,
    recall_score,
    roc_auc_score,
)

SEED = 20261206
rng = np.random.default_rng(SEED)


def floats(values):
    return [float(v) for v in values]


def none_if_raises(compute):
    try:
        value = float(compute())
    except ValueError:
        return None
    return None if math.isnan(value) else value


# ---- binary -----------------------------------------------------------------------------


def calibration(scores, labels, n_bins):
    prob_true, prob_pred = calibration_curve(labels, scores, n_bins=n_bins, strategy="uniform")
    bins = np.linspace(0.0, 1.0, n_bins + 1)
    binids = np.searchsorted(bins[1:-1], scores)
    counts = np.bincount(binids, minlength=n_bins)
    nonzero = counts[counts > 0]
    ece = float(np.sum(nonzero / len(scores) * np.abs(prob_true - prob_pred)))
    return {
        "n_bins": n_bins,
        "bin_edges": floats(bins),
        "bin_counts": [int(c) for c in counts],
        "prob_true": floats(prob_true),
        "prob_pred": floats(prob_pred),
        "ece": ece,
    }


def binary_case(name, scores, labels, threshold, n_bins, note):
    scores = np.asarray(scores, dtype=np.float64)
    labels = np.asarray(labels, dtype=np.int64)
    predicted = (scores >= threshold).astype(np.int64)
    tn, fp, fn, tp = confusion_matrix(labels, predicted, labels=[0, 1]).ravel()
    return {
        "name": name,
        "note": note,
        "threshold": threshold,
        "scores": floats(scores),
        "labels": [int(v) for v in labels],
        "expected": {
            "roc_auc": none_if_raises(lambda: roc_auc_score(labels, scores)),
            "accuracy": float(accuracy_score(labels, predicted)),
            "precision": float(precision_score(labels, predicted, zero_division=0)),
            "recall": float(recall_score(labels, predicted, zero_division=0)),
            "f1": float(f1_score(labels, predicted, zero_division=0)),
            "log_loss": float(log_loss(labels, scores, labels=[0, 1])),
            "brier_score": float(brier_score_loss(labels, scores, pos_label=1)),
            "confusion": {"tp": int(tp), "fp": int(fp), "fn": int(fn), "tn": int(tn)},
            "calibration": calibration(scores, labels, n_bins),
        },
    }


def binary_cases():
    cases = []
    p = rng.beta(2, 3, 500)
    cases.append(
        binary_case(
            "binary_calibrated", p, rng.random(500) < p, 0.5, 10, "scores are the true probabilities"
        )
    )
    p = rng.beta(2, 2, 400)
    score = 1 / (1 + np.exp(-3 * np.log(p / (1 - p))))
    cases.append(
        binary_case(
            "binary_overconfident", score, rng.random(400) < p, 0.5, 15, "scores pushed to 0 and 1"
        )
    )
    p = rng.beta(2, 2, 300)
    tied = np.round(p * 20) / 20
    cases.append(
        binary_case(
            "binary_ties",
            tied,
            rng.random(300) < p,
            0.5,
            10,
            "scores on a 0.05 grid: ties, scores at the threshold and at (or beside) bin edges",
        )
    )
    p = rng.beta(0.5, 40, 2000)
    cases.append(
        binary_case("binary_rare_positives", p, rng.random(2000) < p, 0.05, 10, "about 1% positives")
    )
    values = np.array([0.0, 0.125, 0.25, 0.5, 0.7, 0.7, 0.7, 0.75, 0.875, 1.0])
    scores = rng.choice(values, 120)
    cases.append(
        binary_case(
            "binary_at_threshold",
            scores,
            rng.random(120) < np.clip(scores, 0.05, 0.95),
            0.7,
            8,
            "many scores exactly at the threshold 0.7; scores exactly on the 8 bins' edges, 0 and 1",
        )
    )
    scores = rng.random(50)
    cases.append(
        binary_case(
            "binary_all_negative", scores, np.zeros(50), 0.5, 10, "one class: roc_auc undefined"
        )
    )
    scores = rng.random(40)
    cases.append(
        binary_case("binary_all_positive", scores, np.ones(40), 0.3, 10, "one class, positives")
    )
    scores = np.array([0.0, 1.0, 1e-300, 1 - 1e-16, 5e-324, 0.5, 1.0, 0.0, 2.2e-16, 1 - 2.2e-16])
    labels = np.array([1, 0, 1, 0, 0, 1, 1, 0, 1, 0])
    cases.append(
        binary_case(
            "binary_extremes",
            scores,
            labels,
            0.5,
            10,
            "scores at 0, 1 and within eps of them, wrong side: log loss clipped at eps",
        )
    )
    cases.append(binary_case("binary_three", [0.2, 0.9, 0.4], [0, 1, 1], 0.4, 5, "three events"))
    return cases


# ---- multiclass -------------------------------------------------------------------------


def softmax_rows(logits):
    e = np.exp(logits - logits.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def multiclass_case(name, labels, predictions, class_scores, note, extra_classes=()):
    labels = [str(v) for v in labels]
    predictions = [str(v) for v in predictions]
    classes = sorted(set(labels) | set(predictions) | set(class_scores or {}) | set(extra_classes))
    p, r, f, support = precision_recall_fscore_support(
        labels, predictions, labels=classes, zero_division=0, average=None
    )
    expected = {
        "classes": classes,
        "accuracy": float(accuracy_score(labels, predictions)),
        "f1_macro": float(
            f1_score(labels, predictions, labels=classes, average="macro", zero_division=0)
        ),
        "f1_weighted": float(
            f1_score(labels, predictions, labels=classes, average="weighted", zero_division=0)
        ),
        "precision_macro": float(
            precision_score(labels, predictions, labels=classes, average="macro", zero_division=0)
        ),
        "recall_macro": float(
            recall_score(labels, predictions, labels=classes, average="macro", zero_division=0)
        ),
        "precision_per_class": floats(p),
        "recall_per_class": floats(r),
        "f1_per_class": floats(f),
        "support": [int(s) for s in support],
        "confusion_matrix": confusion_matrix(labels, predictions, labels=classes).tolist(),
    }
    if class_scores is not None:
        matrix = np.column_stack([np.asarray(class_scores[c], dtype=np.float64) for c in classes])
        expected["roc_auc_ovr"] = none_if_raises(
            lambda: roc_auc_score(
                labels, matrix, multi_class="ovr", average="macro", labels=classes
            )
        )
        labels_array = np.asarray(labels)
        expected["roc_auc_per_class"] = [
            none_if_raises(lambda c=c, j=j: roc_auc_score(labels_array == c, matrix[:, j]))
            for j, c in enumerate(classes)
        ]
    return {
        "name": name,
        "note": note,
        "labels": labels,
        "predictions": predictions,
        "class_scores": None
        if class_scores is None
        else {c: floats(v) for c, v in sorted(class_scores.items())},
        "expected": expected,
    }


def categorical(probabilities):
    cumulative = probabilities.cumsum(axis=1)
    u = rng.random((len(probabilities), 1))
    return (u > cumulative).sum(axis=1).clip(0, probabilities.shape[1] - 1)


def multiclass_cases():
    cases = []
    names = np.array(["bird", "cat", "dog"])
    probs = softmax_rows(rng.normal(0, 1.5, (300, 3)))
    labels = names[categorical(probs)]
    predictions = names[probs.argmax(axis=1)]
    cases.append(
        multiclass_case(
            "multiclass_three",
            labels,
            predictions,
            {n: probs[:, j] for j, n in enumerate(names)},
            "calibrated softmax scores, argmax predictions",
        )
    )

    names = np.array(["a", "b", "c", "d"])
    logits = rng.normal(0, 1, (250, 4))
    logits[:, 3] -= 4  # class d is never the argmax
    probs = softmax_rows(logits)
    true_probs = softmax_rows(logits + np.array([0, 0, 0, 3.5]))
    labels = names[categorical(true_probs)]
    predictions = names[probs.argmax(axis=1)]
    assert "d" not in set(predictions) and "d" in set(labels)
    cases.append(
        multiclass_case(
            "multiclass_never_predicted",
            labels,
            predictions,
            {n: probs[:, j] for j, n in enumerate(names)},
            "class d is in the labels but never predicted",
        )
    )

    names = np.array(["north", "east", "south", "west"])
    probs = softmax_rows(rng.normal(0, 1, (200, 4)))
    true_probs = probs.copy()
    true_probs[:, 2] = 0
    true_probs /= true_probs.sum(axis=1, keepdims=True)
    labels = names[categorical(true_probs)]
    predictions = names[probs.argmax(axis=1)]
    assert "south" not in set(labels) and "south" in set(predictions)
    cases.append(
        multiclass_case(
            "multiclass_absent_label",
            labels,
            predictions,
            {n: probs[:, j] for j, n in enumerate(names)},
            "class south is predicted but absent from the labels: roc_auc_ovr undefined",
        )
    )

    names = np.array(["k1", "k2", "k3", "k4", "k5"])
    template = np.array([0.5, 0.2, 0.1, 0.1, 0.1])
    probs = np.array([rng.permutation(template) for _ in range(240)])
    labels = names[categorical(probs)]
    predictions = names[probs.argmax(axis=1)]
    cases.append(
        multiclass_case(
            "multiclass_score_ties",
            labels,
            predictions,
            {n: probs[:, j] for j, n in enumerate(names)},
            "five classes, each row a permutation of (0.5, 0.2, 0.1, 0.1, 0.1): tied class scores",
        )
    )

    names = np.array(["x", "y", "z"])
    labels = names[rng.integers(0, 3, 90)]
    predictions = np.where(rng.random(90) < 0.6, labels, names[rng.integers(0, 3, 90)])
    cases.append(
        multiclass_case(
            "multiclass_predictions_only", labels, predictions, None, "no class scores"
        )
    )

    names = np.array(["p", "q", "r"])
    probs = softmax_rows(rng.normal(0, 1, (60, 3)))
    labels = names[categorical(probs[:, :2] / probs[:, :2].sum(axis=1, keepdims=True))]
    predictions = names[probs[:, :2].argmax(axis=1)]
    cases.append(
        multiclass_case(
            "multiclass_class_only_in_scores",
            labels,
            predictions,
            {n: probs[:, j] for j, n in enumerate(names)},
            "class r has a score column but is never a label or a prediction",
        )
    )
    return cases


# ---- regression -------------------------------------------------------------------------


def regression_case(name, labels, predictions, note):
    y = np.asarray(labels, dtype=np.float64)
    yhat = np.asarray(predictions, dtype=np.float64)
    return {
        "name": name,
        "note": note,
        "labels": floats(y),
        "predictions": floats(yhat),
        "expected": {
            "mae": float(mean_absolute_error(y, yhat)),
            "mse": float(mean_squared_error(y, yhat)),
            "rmse": float(math.sqrt(mean_squared_error(y, yhat))),
            "mape": float(mean_absolute_percentage_error(y, yhat)),
            "r2": float(r2_score(y, yhat)),
        },
    }


def regression_cases():
    cases = []
    y = rng.normal(50, 10, 300)
    cases.append(regression_case("regression_typical", y, y + rng.normal(0, 3, 300), "normal"))
    y = np.concatenate([rng.normal(0, 1, 40), [0.0, 1e-12, -1e-300, 5e-324, -0.0]])
    cases.append(
        regression_case(
            "regression_near_zero_labels",
            y,
            y + rng.normal(0, 0.5, len(y)),
            "labels at and near 0: MAPE divides by max(|y|, eps)",
        )
    )
    # 3.75 sums exactly; with 50 x 3.7 numpy's mean is off by an ulp and sklearn's r2 is
    # -1.4e30, a rounding artifact (driftwatch's exact zero gives 0: docs/TASKS.md).
    y = np.full(50, 3.75)
    cases.append(
        regression_case(
            "regression_constant_labels",
            y,
            y + rng.normal(0, 1, 50),
            "constant labels, imperfect predictions: r2 = 0 (force_finite)",
        )
    )
    cases.append(
        regression_case(
            "regression_constant_perfect", y, y.copy(), "constant labels, perfect: r2 = 1"
        )
    )
    y = rng.standard_t(1.5, 400) * 1000
    cases.append(
        regression_case(
            "regression_heavy_tails",
            y,
            y + rng.standard_t(1.5, 400) * 100,
            "Student t with 1.5 degrees of freedom: heavy tails",
        )
    )
    y = 1e8 + rng.normal(0, 1, 200)
    cases.append(
        regression_case(
            "regression_large_offset",
            y,
            y + rng.normal(0, 0.5, 200),
            "labels near 1e8 with unit spread: r2 loses everything to cancellation if computed"
            " from raw sums of squares",
        )
    )
    cases.append(
        regression_case("regression_two", [1.0, -2.0], [0.5, -1.0], "two events")
    )
    return cases


# ---- isotonic calibration ----------------------------------------------------------------


def fit_calibrator(x, y):
    return IsotonicRegression(out_of_bounds="clip", y_min=0, y_max=1).fit(
        np.asarray(x, dtype=np.float64), np.asarray(y, dtype=np.float64)
    )


def isotonic_case(name, x, y, points, note):
    model = fit_calibrator(x, y)
    points = np.asarray(points, dtype=np.float64)
    return {
        "name": name,
        "note": note,
        "x": floats(x),
        "y": floats(y),
        "points": floats(points),
        "expected": {
            "x_thresholds": floats(model.X_thresholds_),
            "y_thresholds": floats(model.y_thresholds_),
            "predictions": floats(model.predict(points)),
        },
    }


def isotonic_cases():
    cases = []
    x = rng.random(200)
    y = (rng.random(200) < x).astype(float)
    points = np.concatenate([np.linspace(-0.1, 1.1, 49), x[:30]])
    cases.append(isotonic_case("isotonic_basic", x, y, points, "labels Bernoulli(x)"))
    x = np.round(rng.random(300), 2)
    y = (rng.random(300) < x**2).astype(float)
    points = np.concatenate([np.linspace(0, 1, 101), [0.005, 0.995, -1, 2]])
    cases.append(isotonic_case("isotonic_ties", x, y, points, "x on a 0.01 grid: many ties"))
    base = 0.5
    x = np.array(
        [
            0.1,
            base,
            base + 2.2e-16,
            base + 4.4e-16,
            base + 1.1e-15,
            base + 1.3e-15,
            base + 3.3e-15,
            0.9,
        ]
    )
    y = np.array([0, 1, 0, 1, 0, 0, 1, 1], dtype=float)
    points = np.concatenate([x, [0.3, 0.7, base + 1e-15, base + 2e-15]])
    cases.append(
        isotonic_case(
            "isotonic_near_ties",
            x,
            y,
            points,
            "x within 1e-15 of the first of a run are pooled with it (sklearn's _make_unique)",
        )
    )
    x = rng.random(40)
    cases.append(
        isotonic_case("isotonic_all_zero", x, np.zeros(40), [0, 0.5, 1], "every label 0")
    )
    cases.append(
        isotonic_case("isotonic_single_x", np.full(10, 0.3), [1, 0] * 5, [0, 0.3, 1], "one x")
    )
    x = np.linspace(0, 1, 30)
    y = (x < 0.5).astype(float)
    cases.append(
        isotonic_case(
            "isotonic_decreasing", x, y, [0, 0.25, 0.5, 1], "decreasing labels pool into one block"
        )
    )
    return cases


# ---- CBPE ------------------------------------------------------------------------------


def expected_auroc(raw_scores, p):
    """AUROC of the expected positive (weights p) and negative (1 - p) score distributions."""
    order = np.argsort(raw_scores, kind="stable")
    s, w_pos, w_neg = raw_scores[order], p[order], 1 - p[order]
    distinct, start = np.unique(s, return_index=True)
    pos = np.add.reduceat(w_pos, start)
    neg = np.add.reduceat(w_neg, start)
    below = np.concatenate([[0.0], np.cumsum(neg)[:-1]])
    won = np.sum(pos * (below + neg / 2))
    total = pos.sum() * neg.sum()
    return None if total == 0 else float(won / total)


def nannyml_auroc(raw_scores, p):
    order = np.argsort(raw_scores)[::-1]
    tps = np.concatenate([[0.0], np.cumsum(p[order])])
    fps = np.concatenate([[0.0], np.arange(1, len(p) + 1) - tps[1:]])
    return float(auc(fps / fps[-1], tps / tps[-1]))


def expected_confusion(p, predicted_positive):
    tp = float(np.sum(p[predicted_positive]))
    fp = float(np.sum(1 - p[predicted_positive]))
    fn = float(np.sum(p[~predicted_positive]))
    tn = float(np.sum(1 - p[~predicted_positive]))
    n = len(p)
    return {
        "tp": tp,
        "fp": fp,
        "fn": fn,
        "tn": tn,
        "accuracy": (tp + tn) / n,
        "precision": tp / (tp + fp) if tp + fp > 0 else 0.0,
        "recall": tp / (tp + fn) if tp + fn > 0 else 0.0,
        "f1": 2 * tp / (2 * tp + fp + fn) if 2 * tp + fp + fn > 0 else 0.0,
    }


def cbpe_binary_case(name, reference, windows, threshold, note):
    ref_scores, ref_labels = reference
    model = fit_calibrator(ref_scores, ref_labels)
    out = []
    for scores in windows:
        scores = np.asarray(scores, dtype=np.float64)
        p = model.predict(scores)
        expected = expected_confusion(p, scores >= threshold)
        expected["roc_auc"] = expected_auroc(scores, p)
        if len(np.unique(scores)) == len(scores):
            expected["roc_auc_nannyml"] = nannyml_auroc(scores, p)
        expected["calibrated"] = floats(p)
        out.append({"scores": floats(scores), "expected": expected})
    return {
        "name": name,
        "note": note,
        "threshold": threshold,
        "reference": {"scores": floats(ref_scores), "labels": [int(v) for v in ref_labels]},
        "calibrator": {
            "x_thresholds": floats(model.X_thresholds_),
            "y_thresholds": floats(model.y_thresholds_),
        },
        "windows": out,
    }


def cbpe_binary_cases():
    cases = []
    p = rng.beta(2, 5, 3000)
    reference = (p**0.6, (rng.random(3000) < p).astype(int))
    windows = [rng.beta(a, b, 400) ** 0.6 for a, b in [(2, 5), (2, 2), (5, 2), (1, 6)]]
    cases.append(
        cbpe_binary_case(
            "cbpe_binary_miscalibrated",
            reference,
            windows,
            0.5,
            "scores p^0.6 of the true probability p: miscalibrated; windows under covariate shift",
        )
    )
    p = rng.beta(2, 2, 1500)
    reference = (np.round(p, 2), (rng.random(1500) < p).astype(int))
    window = np.round(rng.beta(3, 2, 300), 2)
    window[:5] = [0.0, 1.0, 0.5, 0.5, 0.5]
    cases.append(
        cbpe_binary_case(
            "cbpe_binary_ties",
            reference,
            [window, np.round(rng.beta(1, 3, 200), 2)],
            0.5,
            "scores on a 0.01 grid: ties in the fit and in the windows; scores at the threshold"
            " and outside the reference's range (clipped)",
        )
    )
    return cases


def calibrate_rows(models, classes, class_scores):
    columns = [models[c].predict(np.asarray(class_scores[c], dtype=np.float64)) for c in classes]
    matrix = np.column_stack(columns)
    total = matrix.sum(axis=1, keepdims=True)
    uniform = np.full_like(matrix, 1 / len(classes))
    return np.divide(matrix, total, out=uniform, where=total != 0)


def cbpe_multiclass_case(name, classes, reference, windows, note):
    ref_labels, ref_scores = reference
    ref_labels = np.asarray(ref_labels)
    models = {c: fit_calibrator(ref_scores[c], (ref_labels == c).astype(float)) for c in classes}
    out = []
    for predictions, scores in windows:
        predictions = np.asarray(predictions)
        p = calibrate_rows(models, classes, scores)
        per_class = []
        for j, c in enumerate(classes):
            entry = expected_confusion(p[:, j], predictions == c)
            entry["roc_auc"] = expected_auroc(np.asarray(scores[c], dtype=np.float64), p[:, j])
            per_class.append(entry)
        aurocs = [e["roc_auc"] for e in per_class]
        chosen = p[np.arange(len(predictions)), [classes.index(v) for v in predictions]]
        out.append(
            {
                "predictions": [str(v) for v in predictions],
                "class_scores": {c: floats(scores[c]) for c in classes},
                "expected": {
                    "calibrated": {c: floats(p[:, j]) for j, c in enumerate(classes)},
                    "per_class": per_class,
                    "accuracy": float(np.mean(chosen)),
                    "precision_macro": float(np.mean([e["precision"] for e in per_class])),
                    "recall_macro": float(np.mean([e["recall"] for e in per_class])),
                    "f1_macro": float(np.mean([e["f1"] for e in per_class])),
                    "roc_auc_ovr": None if None in aurocs else float(np.mean(aurocs)),
                },
            }
        )
    return {
        "name": name,
        "note": note,
        "classes": classes,
        "reference": {
            "labels": [str(v) for v in ref_labels],
            "class_scores": {c: floats(ref_scores[c]) for c in classes},
        },
        "calibrators": {
            c: {
                "x_thresholds": floats(models[c].X_thresholds_),
                "y_thresholds": floats(models[c].y_thresholds_),
            }
            for c in classes
        },
        "windows": out,
    }


def cbpe_multiclass_cases():
    classes = ["ant", "bee", "wasp"]
    names = np.array(classes)

    def draw(n, shift):
        logits = rng.normal(0, 1.2, (n, 3)) + np.asarray(shift)
        truth = softmax_rows(logits)
        scores = softmax_rows(logits * 1.8)  # overconfident: miscalibrated
        return names[categorical(truth)], {c: scores[:, j] for j, c in enumerate(classes)}

    ref_labels, ref_scores = draw(3000, [0, 0, 0])
    windows = []
    for shift in ([0, 0, 0], [1.5, 0, -1], [-1, -1, 1.5]):
        _, scores = draw(400, shift)
        matrix = np.column_stack([scores[c] for c in classes])
        windows.append((names[matrix.argmax(axis=1)], scores))
    return [
        cbpe_multiclass_case(
            "cbpe_multiclass_overconfident",
            classes,
            (ref_labels, ref_scores),
            windows,
            "softmax of 1.8x the true logits: overconfident; windows under covariate shift",
        )
    ]


def main():
    fixture = {
        "generator": f"test/oracles/generate_task_cases.py with scikit-learn {sklearn.__version__},"
        f" numpy {np.__version__}, scipy {scipy.__version__}",
        "seed": SEED,
        "binary": binary_cases(),
        "multiclass": multiclass_cases(),
        "regression": regression_cases(),
        "isotonic": isotonic_cases(),
        "cbpe_binary": cbpe_binary_cases(),
        "cbpe_multiclass": cbpe_multiclass_cases(),
    }
    root = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    path = os.path.join(root, "fixtures", "task-cases.json")
    with open(path, "w", encoding="utf-8") as out:
        json.dump(fixture, out, allow_nan=False, separators=(",", ":"))
        out.write("\n")
    print(f"wrote {path}", file=sys.stderr)


if __name__ == "__main__":
    main()
