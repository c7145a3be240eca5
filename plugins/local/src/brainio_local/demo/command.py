"""``brainio demo``: load the embedded demo catalog end to end and plot what it contains.

It goes through the same path as any data set (catalog -> fetcher -> verified cache ->
loader), so it doubles as a smoke test of an installation, and needs no network.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import click

from brainio_local.demo import (
    ASSEMBLY_IDENTIFIER,
    CATALOG_NAME,
    STIMULUS_SET_IDENTIFIER,
)

DEFAULT_OUTPUT = "brainio-demo.png"


@click.command(short_help="Load and plot the embedded demo data set.")
@click.option(
    "--output",
    type=click.Path(dir_okay=False, path_type=Path),
    default=DEFAULT_OUTPUT,
    show_default=True,
    help="Where to write the PNG plot.",
)
def demo(output: Path) -> None:
    """Load the embedded demo data set, summarize it and plot its mean responses.

    Goes through the catalog, the local fetcher, the verified cache and the loaders like any
    data set, with no network: a quick check that an installation works.
    """
    try:
        from matplotlib.figure import Figure  # noqa: F401  (checked before the slow part)
    except ImportError:
        raise click.ClickException(
            "brainio demo draws its plot with matplotlib, which is not installed. "
            "Install it with: pip install 'brainio-local[demo]'"
        ) from None
    _check_format(output)
    from brainio import loading, lookup
    from brainio.cli import describe

    catalog = lookup.get_catalog(CATALOG_NAME)
    click.echo(f"Catalog '{CATALOG_NAME}' ({catalog.source_path}): {len(catalog)} entries")
    for row in catalog.rows():
        click.echo(
            f"  {row.identifier:<18} {row.lookup_type:<13} {row.class_name or '(zip)':<24} "
            f"{row.location_type}:{row.location}"
        )

    stimuli = loading.get_stimulus_set(STIMULUS_SET_IDENTIFIER)
    click.echo()
    click.echo(describe(stimuli))
    counts = stimuli["category"].value_counts(sort=False)
    click.echo("  categories: " + ", ".join(f"{name} ({n})" for name, n in counts.items()))

    assembly = loading.get_assembly(ASSEMBLY_IDENTIFIER)
    click.echo()
    click.echo(describe(assembly))
    for name in ("region", "animal"):
        values = sorted({str(value) for value in assembly[name].values})
        click.echo(f"  {name}s: {', '.join(values)}")

    means = mean_response_by_category(assembly, stimuli)
    click.echo()
    click.echo("Mean response (spikes/s) per category and time bin, all neuroids:")
    click.echo(means.to_string(float_format=lambda value: f"{value:.1f}"))

    output = output.expanduser().absolute()
    output.parent.mkdir(parents=True, exist_ok=True)
    plot(assembly, stimuli, output)
    click.echo()
    click.echo(f"Plot written to {output}")


def _check_format(output: Path) -> None:
    """Refuse an output file matplotlib cannot write, before the slow part."""
    from matplotlib.figure import Figure

    formats = Figure().canvas.get_supported_filetypes()
    suffix = output.suffix.lstrip(".").lower()
    if suffix not in formats:
        raise click.BadParameter(
            f"cannot write a plot to '{output}': use one of the file types "
            f"{', '.join('.' + name for name in sorted(formats))} (e.g. brainio-demo.png).",
            param_hint="'--output'",
        )


def _categories(assembly: Any, stimuli: Any) -> Any:
    """The category of every presentation: the merged coordinate, else from the stimulus set."""
    import pandas as pd

    if "category" in assembly.coords:
        return pd.Index(assembly["category"].values, name="category")
    by_id = stimuli.set_index("stimulus_id")["category"]
    return pd.Index(by_id.loc[assembly["stimulus_id"].values].to_numpy(), name="category")


def mean_response_by_category(assembly: Any, stimuli: Any, region: str | None = None) -> Any:
    """A DataFrame of mean responses: one row per category, one column per time bin."""
    import numpy as np
    import pandas as pd

    if region is not None:
        assembly = assembly.isel(neuroid=np.asarray(assembly["region"].values == region))
    data = assembly.transpose("presentation", "neuroid", "time_bin")
    per_presentation = np.asarray(data.values, dtype=np.float64).mean(axis=1)
    columns = [
        f"{int(start)}-{int(end)} ms"
        for start, end in zip(
            assembly["time_bin_start"].values, assembly["time_bin_end"].values, strict=True
        )
    ]
    frame = pd.DataFrame(per_presentation, columns=columns)
    order = list(dict.fromkeys(stimuli["category"]))  # categories in stimulus-set order
    return frame.groupby(_categories(assembly, stimuli)).mean().reindex(order)


def plot(assembly: Any, stimuli: Any, path: Path) -> None:
    """Example stimuli on top, mean response per category over time below, per region."""
    import numpy as np
    from matplotlib.figure import Figure
    from PIL import Image

    categories = list(dict.fromkeys(stimuli["category"]))
    regions = sorted({str(value) for value in assembly["region"].values}, reverse=True)
    figure = Figure(figsize=(9, 6), layout="constrained")
    grid = figure.add_gridspec(2, len(categories), height_ratios=(1, 2.6))
    for column, category in enumerate(categories):
        axes = figure.add_subplot(grid[0, column])
        example = stimuli[stimuli["category"] == category].iloc[0]
        with Image.open(stimuli.get_stimulus(example["stimulus_id"])) as image:
            axes.imshow(np.asarray(image.convert("RGB")))
        axes.set_title(category, fontsize=10)
        axes.set_axis_off()

    bottom = grid[1, :].subgridspec(1, len(regions))
    centers = (assembly["time_bin_start"].values + assembly["time_bin_end"].values) / 2
    shared = None
    for column, region in enumerate(regions):
        axes = figure.add_subplot(bottom[0, column], sharey=shared)
        shared = shared or axes
        means = mean_response_by_category(assembly, stimuli, region=region)
        for category, row in means.iterrows():
            axes.plot(centers, row.to_numpy(), marker="o", label=category)
        axes.set_title(f"{region} ({int((assembly['region'].values == region).sum())} sites)")
        axes.set_xlabel("time after stimulus onset (ms)")
        if column == 0:
            axes.set_ylabel("mean response (spikes/s)")
    axes.legend(title="category", fontsize=8)
    identifier = assembly.attrs.get("identifier", ASSEMBLY_IDENTIFIER)
    figure.suptitle(f"{identifier}: mean response per category and time bin")
    figure.savefig(path, dpi=100)
