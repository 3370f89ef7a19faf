"""Split step: a stratified train/test split of the ingested data set (fixed seed: reruns compare like with like)."""
import json, os
import pandas as pd
from sklearn.model_selection import train_test_split

params = json.loads(os.environ.get("SLUICE_PARAMS", "{}"))
inp = os.environ.get("SLUICE_INPUTS_DIR", "/sluice/inputs")
out = os.environ.get("SLUICE_OUTPUTS_DIR", "/sluice/outputs")
frame = pd.read_csv(os.path.join(inp, "data"))
train, test = train_test_split(
    frame, test_size=float(params.get("test_size", 0.3)), random_state=0, stratify=frame["target"]
)
train.to_csv(os.path.join(out, "train.csv"), index=False)
test.to_csv(os.path.join(out, "test.csv"), index=False)
print(f"train {len(train)} rows, test {len(test)} rows")
