import pathlib

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")
pytest.importorskip("matplotlib")

NOTEBOOK = pathlib.Path(__file__).resolve().parents[1] / "examples" / "walkthrough.ipynb"


def test_walkthrough_executes(tmp_path):
    nb = nbformat.read(NOTEBOOK, as_version=4)
    assert not any(c.get("outputs") for c in nb.cells if c.cell_type == "code"), "commit the notebook without outputs"
    client = nbclient.NotebookClient(nb, timeout=300, kernel_name="python3",
                                     resources={"metadata": {"path": str(tmp_path)}})
    client.execute()  # raises CellExecutionError on the first failing cell
    text = []
    images = 0
    for c in nb.cells:
        for o in c.get("outputs", []):
            assert o.output_type != "error"
            data = o.get("data", {})
            text.append(data.get("text/plain", "") + o.get("text", ""))
            images += "image/png" in data
    out = "\n".join(text)
    assert "<npimatch.Report matches" in out and "<npimatch.Report persons" in out
    assert "<npimatch.Model 'hcp_nppes'" in out
    assert "npimatch.Report matches" in out and out.count("<npimatch.Report matches") == 2  # matches and baseline
    assert out.count("<npimatch.Report persons") == 2  # exact-key baseline and resolve across two nights
    assert "joined" in out and "all with the same person ID: True" in out
    assert "pairs for 2000 records" in out  # blocking statistics
    assert images >= 7  # weights, two waterfalls, precision/recall, calibration, two persons charts
