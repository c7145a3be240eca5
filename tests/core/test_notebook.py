"""Notebook views (``_repr_html_``) of catalogs, stimulus sets and assemblies.

The HTML is checked in a real headless browser (Debian's ``chromium``, installed by .ci/run):
rendered, screenshotted, and every thumbnail must have loaded. Without a browser those tests
skip and say how to install one.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

from brainio import get_assembly, get_catalog, get_stimulus_set

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable")

# Appended by the test (not part of the views): records how many images the page has and how
# many of them decoded, once everything has loaded.
PROBE = """
<script>
window.addEventListener('load', () => {
  const images = [...document.images];
  const loaded = images.filter(image => image.complete && image.naturalWidth > 0);
  document.body.setAttribute('data-images', images.length);
  document.body.setAttribute('data-loaded', loaded.length);
});
</script>
"""


def _browser() -> str:
    for name in BROWSERS:
        found = shutil.which(name)
        if found:
            return found
    pytest.skip(
        "No headless browser found to render the notebook views: install Debian's chromium "
        "(`apt-get install chromium`, as .ci/run does) to run this test."
    )


def _render(html: str, folder: Path) -> tuple[str, Path]:
    """Render ``html`` in headless chromium: the DOM after load, and a screenshot."""
    browser = _browser()
    page = folder / "page.html"
    page.write_text(f"<!doctype html><html><meta charset='utf-8'><body>{html}{PROBE}</body></html>")
    common = [
        browser,
        "--headless=new",
        "--no-sandbox",
        "--disable-gpu",
        "--virtual-time-budget=10000",
        "--window-size=1280,1600",
    ]
    dom = subprocess.run(
        [*common, "--dump-dom", page.as_uri()], capture_output=True, text=True, timeout=120
    )
    assert dom.returncode == 0, dom.stderr
    screenshot = folder / "page.png"
    shot = subprocess.run(
        [*common, f"--screenshot={screenshot}", page.as_uri()],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert shot.returncode == 0 and screenshot.is_file(), shot.stderr
    return dom.stdout, screenshot


def _counts(dom: str) -> tuple[int, int]:
    images = re.search(r'data-images="(\d+)"', dom)
    loaded = re.search(r'data-loaded="(\d+)"', dom)
    assert images and loaded, "the page's load event never ran"
    return int(images.group(1)), int(loaded.group(1))


def _is_drawn(screenshot: Path) -> bool:
    from PIL import Image

    with Image.open(screenshot) as image:
        pixels = np.asarray(image.convert("L"))
    return pixels.min() < 128 and pixels.max() > 200  # text and images on a light page


def test_stimulus_set_view_shows_thumbnails_that_load_in_a_browser(tmp_path):
    stimuli = get_stimulus_set("demo.shapes")
    html = stimuli._repr_html_()
    assert html.count("<img ") == 24  # the first MAX_THUMBNAILS stimuli
    assert "48 stimuli" in html and "first 24 shown" in html
    assert stimuli["stimulus_id"].iloc[0] in html and "category" in html
    dom, screenshot = _render(html, tmp_path)
    images, loaded = _counts(dom)
    assert images == 24 and loaded == 24
    assert _is_drawn(screenshot)


def test_assembly_view_has_the_card_and_xarrays_view(tmp_path):
    assembly = get_assembly("demo.Shapes2026")
    html = assembly._repr_html_()
    assert "brainio-card" in html and "demo.Shapes2026" in html
    assert "xr-wrap" in html  # xarray's own view follows the card
    assert "✓ cached" in html
    dom, screenshot = _render(html, tmp_path)
    assert "presentation" in dom and "neuroid" in dom
    assert _is_drawn(screenshot)


def test_catalog_view_lists_sizes_and_cache_status(tmp_path):
    catalog = get_catalog("brainio_demo")
    before = catalog._repr_html_()
    assert before.count("not cached") == 2 and "demo.shapes" in before
    get_assembly("demo.Shapes2026")
    after = catalog._repr_html_()
    assert after.count("✓ cached") == 2 and "kB" in after
    dom, screenshot = _render(after, tmp_path)
    assert dom.count("<tr>") >= 3  # header and two data sets
    assert _is_drawn(screenshot)


def test_html_escapes_metadata():
    from brainio.stimuli import StimulusSet

    stimuli = StimulusSet({"stimulus_id": ["<script>alert(1)</script>"], "note": ["a & b"]})
    stimuli.identifier = "x<y"
    html = stimuli._repr_html_()
    assert "<script>alert" not in html and "&lt;script&gt;" in html and "x&lt;y" in html


def test_thumbnail_of_a_file_that_is_not_an_image_is_named_not_embedded(tmp_path):
    from brainio.notebook import thumbnail_uri
    from brainio.stimuli import StimulusSet

    text = tmp_path / "sentence.txt"
    text.write_text("not an image")
    assert thumbnail_uri(text) is None
    stimuli = StimulusSet({"stimulus_id": ["s0"]})
    stimuli.stimulus_paths = {"s0": text}
    html = stimuli._repr_html_()
    assert "<img" not in html and "sentence.txt" in html
