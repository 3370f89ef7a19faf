"""Evaluate step: scores ONE model on ONE data set; Sluice runs it for the candidate and for the champion."""
import json, os, pickle
import pandas as pd
from sklearn.metrics import accuracy_score, f1_score

inp = os.environ.get("SLUICE_INPUTS_DIR", "/sluice/inputs")
out = os.environ.get("SLUICE_OUTPUTS_DIR", "/sluice/outputs")
with open(os.path.join(inp, "model"), "rb") as f:
    model = pickle.load(f)
frame = pd.read_csv(os.path.join(inp, "data"))
x, y = frame[model.feature_names], frame["target"]
predicted = model.predict(x)
metrics = {"accuracy": float(accuracy_score(y, predicted)), "f1_macro": float(f1_score(y, predicted, average="macro"))}
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump(metrics, f)
print(" ".join(f"{k} {v:.4f}" for k, v in metrics.items()))
