"""Export step: writes the wine data set that ships inside scikit-learn as CSV (the raw data to ingest)."""
import os
from sklearn.datasets import load_wine

out = os.environ.get("SLUICE_OUTPUTS_DIR", "/sluice/outputs")
frame = load_wine(as_frame=True).frame
# Plain column names: the ingest step's expected schema and the gateway's features refer to them.
frame.columns = [c.replace("/", "_") for c in frame.columns]
frame.to_csv(os.path.join(out, "wine.csv"), index=False)
print(f"wrote {len(frame)} rows, {frame.shape[1]} columns")
