"""Classification metrics on the validation split, from scikit-learn."""

from __future__ import annotations

import numpy as np

# Figures stored as probe Metric rows (the per-class report stays in the result's JSON).
STORED_METRICS = ("accuracy", "top5", "macro_precision", "macro_recall", "macro_f1", "logme", "knn_accuracy")


def classification_metrics(y_true: np.ndarray, scores: np.ndarray, class_names: list[str]) -> dict:
    """Accuracy, top-5, macro precision/recall/F1 and a per-class report.

    `scores` is [N, C] (probabilities or any per-class score); top-5 is None when there are five
    classes or fewer, where it would be 1.0 by construction and say nothing.
    """
    from sklearn.metrics import (
        accuracy_score,
        classification_report,
        precision_recall_fscore_support,
        top_k_accuracy_score,
    )

    y_true = np.asarray(y_true)
    labels = list(range(len(class_names)))
    predicted = np.asarray(scores).argmax(1)
    precision, recall, f1, _ = precision_recall_fscore_support(
        y_true, predicted, labels=labels, average="macro", zero_division=0)
    top5 = None
    if len(class_names) > 5:
        top5 = float(top_k_accuracy_score(y_true, scores, k=5, labels=labels))
    report = classification_report(y_true, predicted, labels=labels, target_names=class_names,
                                   output_dict=True, zero_division=0)
    per_class = {name: {"precision": round(float(report[name]["precision"]), 4),
                        "recall": round(float(report[name]["recall"]), 4),
                        "f1": round(float(report[name]["f1-score"]), 4),
                        "support": int(report[name]["support"])} for name in class_names}
    return {"accuracy": float(accuracy_score(y_true, predicted)), "top5": top5,
            "macro_precision": float(precision), "macro_recall": float(recall), "macro_f1": float(f1),
            "val_samples": int(len(y_true)), "per_class": per_class}
