"""Ingest step: writes the breast-cancer data set that ships inside scikit-learn as CSV."""
import json, os
from sklearn.datasets import load_breast_cancer

out = os.environ.get("SLUICE_OUTPUTS_DIR", "/sluice/outputs")
frame = load_breast_cancer(as_frame=True).frame
frame.to_csv(os.path.join(out, "dataset.csv"), index=False)
with open(os.path.join(out, "metrics.json"), "w") as f:
    json.dump({"rows": len(frame), "columns": frame.shape[1]}, f)
print(f"wrote {len(frame)} rows")
