"""In a real Jupyter kernel: progress bars are on (as widgets) and the rich views render.

The notebook is executed by nbclient in an ipykernel, as JupyterLab would run it.
"""

from __future__ import annotations

import pytest

nbformat = pytest.importorskip("nbformat")
nbclient = pytest.importorskip("nbclient")
pytest.importorskip("ipykernel")

CELLS = [
    "from brainio import progress\nprint(progress.progress_wanted())",
    "from tqdm.notebook import tqdm_notebook\nbar = progress.progress_bar(10, 'Downloading')\n"
    "bar.update(10)\nprint(isinstance(bar, tqdm_notebook))",
    "from brainio import get_stimulus_set\nget_stimulus_set('demo.shapes')",
]


def _outputs(cell) -> str:
    texts = []
    for output in cell.outputs:
        texts.append(output.get("text", ""))
        texts.extend(str(value) for value in output.get("data", {}).values())
    return "\n".join(texts)


def test_progress_bars_and_views_in_a_jupyter_kernel(monkeypatch):
    monkeypatch.delenv("BRAINIO_PROGRESS", raising=False)
    notebook = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell(c) for c in CELLS])
    nbclient.NotebookClient(notebook, timeout=300, kernel_name="python3").execute()
    wanted, bar, view = notebook.cells
    assert _outputs(wanted).strip() == "True"  # stderr is no terminal, yet bars are on
    assert _outputs(bar).strip().endswith("True")  # a notebook widget, not text on stderr
    assert any("application/vnd.jupyter.widget-view+json" in o.get("data", {}) for o in bar.outputs)
    html = next(o["data"]["text/html"] for o in view.outputs if "text/html" in o.get("data", {}))
    assert html.count("<img ") == 24 and "48 stimuli" in html
