"""Train step: scaled logistic regression; params C, max_iter and features (how many columns to use) from SLUICE_PARAMS."""
import json, os, pickle
import pandas as pd
from sklearn.linear_model import LogisticRegression
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler

params = json.loads(os.environ.get("SLUICE_PARAMS", "{}"))
inp = os.environ.get("SLUICE_INPUTS_DIR", "/sluice/inputs")
out = os.environ.get("SLUICE_OUTPUTS_DIR", "/sluice/outputs")
frame = pd.read_csv(os.path.join(inp, "train"))
x, y = frame.drop(columns=["target"]), frame["target"]
features = int(params.get("features", 0)) or x.shape[1]
x = x.iloc[:, :features]
model = make_pipeline(
    StandardScaler(),
    LogisticRegression(C=float(params.get("C", 1.0)), max_iter=int(params.get("max_iter", 200))),
)
model.fit(x, y)
model.feature_names = list(x.columns)
with open(os.path.join(out, "model.pkl"), "wb") as f:
    pickle.dump(model, f)
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump({"train_accuracy": float(model.score(x, y))}, f)
print(f"trained on {len(x)} rows and {features} features: {model}")
