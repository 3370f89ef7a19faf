"""Evaluate step: accuracy of the trained model on the held-out quarter of the data set."""
import json, os, pickle
import pandas as pd
from sklearn.model_selection import train_test_split

inp = os.environ.get("SLUICE_INPUTS_DIR", "/sluice/inputs")
out = os.environ.get("SLUICE_OUTPUTS_DIR", "/sluice/outputs")
frame = pd.read_csv(os.path.join(inp, "dataset"))
x, y = frame.drop(columns=["target"]), frame["target"]
_, x_test, _, y_test = train_test_split(x, y, test_size=0.25, random_state=0)
with open(os.path.join(inp, "model"), "rb") as f:
    model = pickle.load(f)
accuracy = float(model.score(x_test, y_test))
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump({"accuracy": accuracy}, f)
print(f"accuracy {accuracy:.4f}")
