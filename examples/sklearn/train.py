"""Train step: logistic regression on the ingested CSV; params C and max_iter from SLUICE_PARAMS."""
import json, os, pickle
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.model_selection import train_test_split
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

params = json.loads(os.environ.get("SLUICE_PARAMS", "{}"))
inp = os.environ.get("SLUICE_INPUTS_DIR", "/sluice/inputs")
out = os.environ.get("SLUICE_OUTPUTS_DIR", "/sluice/outputs")
frame = pd.read_csv(os.path.join(inp, "dataset"))
x, y = frame.drop(columns=["target"]), frame["target"]
x_train, _, y_train, _ = train_test_split(x, y, test_size=0.25, random_state=0)
model = make_pipeline(StandardScaler(), LogisticRegression(C=float(params.get("C", 1.0)), max_iter=int(params.get("max_iter", 200))))
model.fit(x_train, y_train)
with open(os.path.join(out, "model.pkl"), "wb") as f:
    pickle.dump(model, f)
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump({"train_accuracy": float(model.score(x_train, y_train))}, f)
print("trained", model)
