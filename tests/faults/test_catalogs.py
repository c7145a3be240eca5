"""One broken catalog or plugin is set aside alone; the demo and every other catalog work."""

from __future__ import annotations

import json

import pytest
from fault_tools import HEADER, brainio, one_line_error, warnings_in

GOOD_ROW = "lab.Assy,assembly,NeuronRecordingAssembly,local,assy.nc," + "a" * 40 + ","

MALFORMED = {
    # name: (lookup.csv bytes, line the warning must name, words the warning must contain)
    "sha1-not-hex": (
        f"{HEADER}\n{GOOD_ROW}\nlab.Bad,assembly,DataAssembly,local,b.nc,nothex,\n".encode(),
        3,
        "sha1 'nothex'",
    ),
    "missing-column": (
        b"identifier,lookup_type,class,location_type,location,stimulus_set_identifier\n",
        1,
        "lacks the column(s) sha1",
    ),
    "not-utf8": (f"{HEADER}\n{GOOD_ROW}\n".encode() + b"lab.\xff\xfe,assembly\n", 3, "UTF-8"),
    "ragged-line": (f"{HEADER}\n{GOOD_ROW}\n{GOOD_ROW},extra,cells\n".encode(), 3, "not valid"),
    "empty-file": (b"", 1, "empty"),
}

RAISING_PLUGIN = """
    import brainio

    @brainio.hookimpl
    def brainio_catalogs(register):
        raise RuntimeError("catalog registry unreachable")
"""
RAISING_ENTRY_POINT = "[brainio]\nraising = raising_plugin\n"


@pytest.mark.parametrize("case", sorted(MALFORMED))
def test_malformed_catalog_is_disabled_alone(case, install_catalog, tmp_path):
    content, line, words = MALFORMED[case]
    env, folder = install_catalog("badlab", content)

    got = brainio("get", "demo.shapes", env=env)

    assert got.returncode == 0, got.stderr
    assert "StimulusSet 'demo.shapes': 48 stimuli" in got.stdout
    [warning] = warnings_in(got.stderr, "CatalogLoadWarning")
    assert "Catalog 'badlab'" in warning and str(folder / "lookup.csv") in warning
    assert f"line {line}" in warning and words in warning
    assert "BRAINIO_STRICT_CATALOGS=1" in warning

    listed = brainio("catalogs", "--json", env=env)
    assert listed.returncode == 0, listed.stderr
    entries = {entry["name"]: entry for entry in json.loads(listed.stdout)}
    assert entries["brainio_demo"]["status"] == "ok"
    broken = entries["badlab"]
    assert broken["status"] == "broken" and broken["line"] == line
    assert broken["path"] == str(folder / "lookup.csv") and words in broken["reason"]

    text = brainio("catalogs", env=env)
    assert f"badlab\tBROKEN\t{folder / 'lookup.csv'}:{line}\t" in text.stdout

    strict = brainio("catalogs", env={**env, "BRAINIO_STRICT_CATALOGS": "1"})
    message = one_line_error(strict, "CatalogError")
    assert "badlab" in message and f"line {line}" in message


def test_raising_catalog_hook_is_disabled_alone(install_distribution, site):
    env = install_distribution(
        "raising_plugin", {"raising_plugin.py": RAISING_PLUGIN}, RAISING_ENTRY_POINT
    )

    got = brainio("get", "demo.shapes", env=env)

    assert got.returncode == 0, got.stderr
    [warning] = warnings_in(got.stderr, "CatalogLoadWarning")
    assert "BrainIO plugin 'raising'" in warning
    assert "RuntimeError: catalog registry unreachable" in warning
    assert f"({site / 'raising_plugin.py'}, line 6)" in warning
    listed = json.loads(brainio("catalogs", "--json", env=env).stdout)
    [broken] = [entry for entry in listed if entry["status"] == "broken"]
    assert broken["name"] == "raising" and broken["line"] == 6
    strict = brainio("get", "demo.shapes", env={**env, "BRAINIO_STRICT_CATALOGS": "1"})
    assert "catalog registry unreachable" in one_line_error(strict, "CatalogError")


def test_demo_runs_beside_a_malformed_catalog_and_a_raising_plugin(
    install_catalog, install_distribution, tmp_path
):
    env, _ = install_catalog("badlab", MALFORMED["sha1-not-hex"][0])
    install_distribution(
        "raising_plugin", {"raising_plugin.py": RAISING_PLUGIN}, RAISING_ENTRY_POINT
    )

    demo = brainio("demo", "--output", str(tmp_path / "demo.png"), env=env)

    assert demo.returncode == 0, demo.stderr
    assert (tmp_path / "demo.png").stat().st_size > 0
    warnings = warnings_in(demo.stderr, "CatalogLoadWarning")
    assert len(warnings) == 2, demo.stderr
    assert any("Catalog 'badlab'" in w for w in warnings)
    assert any("plugin 'raising'" in w for w in warnings)


@pytest.mark.parametrize(
    ("hook", "wanted"),
    [
        ("brainio_fetcher(location_type, location)", "a fetcher for location type 'local'"),
        ("brainio_loader(row)", "a loader for class 'StimulusSet'"),
    ],
)
def test_raising_fetcher_or_loader_hook_is_skipped(hook, wanted, install_distribution, tmp_path):
    env = install_distribution(
        "bad_plugin",
        {
            "bad_plugin.py": f"""
                import brainio

                @brainio.hookimpl(tryfirst=True)
                def {hook}:
                    raise KeyError("no configuration")
            """
        },
        "[brainio]\nbad_plugin = bad_plugin\n",
    )

    got = brainio("get", "demo.shapes", env=env)

    assert got.returncode == 0, got.stderr
    [warning] = warnings_in(got.stderr, "PluginLoadWarning")
    assert f"plugin 'bad_plugin' raised KeyError: 'no configuration' when asked for {wanted}" in (
        warning
    )

    fresh = {"BRAINIO_HOME": str(tmp_path / "fresh"), "BRAINIO_STRICT_PLUGINS": "1"}
    strict = brainio("get", "demo.shapes", env={**env, **fresh})
    assert "plugin 'bad_plugin' raised KeyError" in one_line_error(strict, "PluginMissingError")
