"""Finding identifiers across installed catalogs."""

from __future__ import annotations

import pytest

import brainio
from brainio import lookup
from brainio.errors import (
    AssemblyLookupError,
    CatalogConflictError,
    CatalogError,
    StimulusSetLookupError,
)

SHA = "a" * 40
STIM_CSV = (
    f"lab.stim,stimulus_set,StimulusSet,S3,https://b.s3.amazonaws.com/stimulus_lab_stim.csv,{SHA},"
)
STIM_ZIP = f"lab.stim,stimulus_set,,S3,https://b.s3.amazonaws.com/stimulus_lab_stim.zip,{'b' * 40},"
ASSY = (
    "lab.Assy2020,assembly,NeuronRecordingAssembly,S3,https://b.s3.amazonaws.com/assy.nc,"
    f"{'c' * 40},lab.stim"
)


def test_lookups(install_catalog):
    install_catalog("lab", [STIM_CSV, STIM_ZIP, ASSY])
    assert "lab" in lookup.list_catalogs()
    assert "lab.Assy2020" in lookup.list_assemblies()
    assert "lab.stim" in lookup.list_stimulus_sets()
    assert "lab.stim" not in lookup.list_assemblies()
    row = lookup.lookup_assembly("lab.Assy2020")
    assert row.location == "https://b.s3.amazonaws.com/assy.nc"
    assert row.catalog == "lab"
    csv_row, zip_row = lookup.lookup_stimulus_set("lab.stim")
    assert csv_row.location.endswith(".csv") and zip_row.location.endswith(".zip")
    assert lookup.get_catalog("lab").identifier == "lab"


def test_unknown_identifier_suggests_close_matches(install_catalog):
    install_catalog("lab", [STIM_CSV, STIM_ZIP, ASSY])
    with pytest.raises(
        AssemblyLookupError, match=r"No assembly 'lab.Assy2021'.*did you mean 'lab.Assy2020'"
    ):
        lookup.lookup_assembly("lab.Assy2021")
    with pytest.raises(KeyError):  # 1.x callers catch KeyError
        lookup.lookup_assembly("nothing.like.it")
    with pytest.raises(
        StimulusSetLookupError, match="No stimulus set 'lab.stimm'.*'lab.stim'.*brainio list"
    ):
        lookup.lookup_stimulus_set("lab.stimm")


def test_unknown_catalog(install_catalog):
    install_catalog("lab", [ASSY])
    with pytest.raises(
        CatalogError, match=r"No installed catalog is named 'labb' \(did you mean 'lab'\?\)"
    ):
        lookup.get_catalog("labb")


def test_stimulus_set_without_csv_row(install_catalog):
    install_catalog("lab", [STIM_ZIP])
    with pytest.raises(StimulusSetLookupError, match="'lab.stim' has no CSV row"):
        lookup.lookup_stimulus_set("lab.stim")


def test_stimulus_set_without_zip_row_is_allowed(install_catalog):
    install_catalog("lab", [STIM_CSV])
    csv_row, zip_row = lookup.lookup_stimulus_set("lab.stim")
    assert csv_row.is_csv and zip_row is None


def test_identical_rows_in_two_catalogs_collapse(install_catalog):
    install_catalog("one", [STIM_CSV, STIM_ZIP, ASSY])
    install_catalog("two", [STIM_CSV, STIM_ZIP, ASSY])
    assert lookup.lookup_assembly("lab.Assy2020").sha1 == "c" * 40
    assert lookup.list_assemblies().count("lab.Assy2020") == 1


def test_two_catalogs_disagreeing_is_an_error_naming_both(install_catalog):
    install_catalog("one", [ASSY])
    install_catalog("two", [ASSY.replace("c" * 40, "d" * 40)])
    with pytest.raises(
        CatalogConflictError, match=r"disagree about assembly 'lab.Assy2020'"
    ) as error:
        lookup.lookup_assembly("lab.Assy2020")
    message = str(error.value)
    assert "catalog 'one'" in message and "catalog 'two'" in message and "line 2" in message
    assert "c" * 40 in message and "d" * 40 in message and "Uninstall or fix" in message


def test_combined_catalog_is_a_copy_with_source(install_catalog):
    catalog = install_catalog("lab", [STIM_CSV, STIM_ZIP, ASSY])
    combined = lookup.combined_catalog()
    assert set(combined[lookup.SOURCE_CATALOG]) >= {"lab"}
    assert lookup.SOURCE_CATALOG not in catalog.columns


def test_no_catalog_installed_gives_empty_lists(run_python):
    result = run_python(
        """
        import brainio
        print(brainio.list_catalogs(), brainio.list_assemblies(), brainio.list_stimulus_sets())
        try:
            brainio.get_assembly("dicarlo.MajajHong2015.public")
        except brainio.BrainIOError as error:
            print(type(error).__name__, error)
        """,
        BRAINIO_LOAD_PLUGINS="",
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines()[0] == "[] [] []"
    assert "AssemblyLookupError" in result.stdout and "No catalog is installed" in result.stdout


def test_legacy_brainio_lookups_entry_point_loads(install_distribution, run_python):
    """A catalog package written for BrainIO 1.x (entry-point group brainio_lookups) loads."""
    folder = install_distribution(
        "old-lab-catalog",
        {
            "old_lab_catalog": """
        from pathlib import Path
        from brainio.catalogs import Catalog

        def brainio_old_lab():
            return Catalog.from_files("old_lab", Path(__file__).parent / "lookup.csv")
    """
        },
        {"brainio_lookups": {"old_lab": "old_lab_catalog:brainio_old_lab"}},
    )
    (folder / "lookup.csv").write_text(
        "identifier,lookup_type,class,location_type,location,sha1,stimulus_set_identifier,lookup_source\n"
        + ASSY
        + ",brainio_brainscore\n"
    )
    result = run_python(
        """
        import brainio
        from brainio.lookup import lookup_assembly
        print(brainio.list_catalogs())
        print(lookup_assembly("lab.Assy2020").location)
        """
    )
    assert result.returncode == 0, result.stderr
    assert "old_lab" in result.stdout
    assert "https://b.s3.amazonaws.com/assy.nc" in result.stdout


def test_broken_legacy_catalog_warns_and_others_still_load(install_distribution, run_python):
    install_distribution(
        "broken-catalog",
        {"broken_catalog": "def make():\n    raise RuntimeError('boom')\n"},
        {"brainio_lookups": {"broken": "broken_catalog:make"}},
    )
    result = run_python("import brainio; print(brainio.list_catalogs())")
    assert result.returncode == 0, result.stderr
    assert "Catalog 'broken'" in result.stderr and "RuntimeError: boom" in result.stderr
    assert "broken" not in result.stdout


class _RaisingCatalogs:
    @brainio.hookimpl
    def brainio_catalogs(self, register):
        raise ConnectionError("catalog server down")

    LINE = brainio_catalogs.__code__.co_firstlineno + 2


def test_raising_catalog_plugin_is_listed_as_broken(install_catalog, register_plugin):
    install_catalog("lab", [ASSY])
    register_plugin(_RaisingCatalogs(), name="flaky")

    with pytest.warns(lookup.CatalogLoadWarning, match="plugin 'flaky' raised ConnectionError"):
        assert "lab" in lookup.list_catalogs()
    [broken] = lookup.broken_catalogs()
    assert (broken.name, broken.plugin) == ("flaky", "flaky")
    assert broken.path == __file__ and broken.line == _RaisingCatalogs.LINE
    assert broken.reason == "ConnectionError: catalog server down"
    assert lookup.lookup_assembly("lab.Assy2020").catalog == "lab"


def test_strict_catalogs_make_a_broken_catalog_an_error(register_plugin, monkeypatch):
    monkeypatch.setenv(lookup.STRICT_CATALOGS_ENV, "1")
    register_plugin(_RaisingCatalogs(), name="flaky")
    with pytest.raises(CatalogError, match="plugin 'flaky' raised ConnectionError"):
        lookup.list_catalogs()


def test_catalogs_follow_a_refreshed_plugin_manager(install_catalog):
    from brainio.plugins import refresh_plugins

    install_catalog("lab", [ASSY])  # registered on the current manager only
    assert "lab" in lookup.list_catalogs()
    refresh_plugins()
    assert "lab" not in lookup.list_catalogs()


def test_catalog_layer_imports_top_down():
    """plugins <- classes <- lookup <- catalog_append: no module imports one above it
    (``lookup.append``, BrainIO 1.x's name, is only forwarded by a module ``__getattr__``)."""
    import ast
    import importlib.util

    layers = [
        "brainio.plugins",
        "brainio.catalogs",
        "brainio.classes",
        "brainio.lookup",
        "brainio.packaging.catalog_append",
    ]
    for level, name in enumerate(layers):
        tree = ast.parse(open(importlib.util.find_spec(name).origin).read())
        forwarding = [node for node in tree.body if getattr(node, "name", None) == "__getattr__"]
        skipped = {id(n) for f in forwarding for n in ast.walk(f)}
        imported = {
            node.module if isinstance(node, ast.ImportFrom) else alias.name
            for node in ast.walk(tree)
            if isinstance(node, ast.Import | ast.ImportFrom) and id(node) not in skipped
            for alias in node.names
        }
        imported |= {
            f"{node.module}.{alias.name}"
            for node in ast.walk(tree)
            if isinstance(node, ast.ImportFrom) and id(node) not in skipped
            for alias in node.names
        }
        above = set(layers[level + 1 :])
        assert not imported & above, f"{name} imports {imported & above}"
