"""The plugin system: hook specs, installed plugins, broken plugins, clashes, cheap imports.

Plugins here are really installed (a ``.dist-info`` on ``sys.path``, see the
``install_distribution`` fixture) and found by the same entry-point scan as in production;
each order-sensitive case runs with both installation orders.
"""

from __future__ import annotations

import inspect
import subprocess
import sys
import warnings

import pytest

import brainio
from brainio import hookspecs, lookup
from brainio.catalogs import COLUMNS
from brainio.errors import AssemblyLookupError
from brainio.plugins import (
    PluginClashWarning,
    PluginLoadWarning,
    find_assembly_loader,
    find_fetcher,
    find_stimulus_set_loader,
    get_plugin_manager,
    list_plugins,
)
from brainio.records import LookupRow, Source

BOTH_ORDERS = pytest.mark.parametrize("order", [(0, 1), (1, 0)], ids=["a-first", "b-first"])

GOOD_PLUGIN = """
    from pathlib import Path
    import brainio
    from brainio.catalogs import Catalog

    @brainio.hookimpl
    def brainio_catalogs(register):
        register(Catalog.from_files("good", Path(__file__).with_name("good.csv")))
"""

TYPO_PLUGIN = """
    import brainio

    @brainio.hookimpl
    def brainio_fetchers(location_type, location):
        return None
"""


def _vault_plugin(letter: str, tryfirst: bool = False) -> str:
    marker = "@brainio.hookimpl(tryfirst=True)" if tryfirst else "@brainio.hookimpl"
    return f"""
        import brainio

        def fetch_{letter}(source, destination):
            destination.write_bytes(b"{letter}")

        {marker}
        def brainio_fetcher(location_type, location):
            return fetch_{letter} if location_type.lower() == "vault" else None
    """


def _catalog_plugin(catalog: str, module: str) -> str:
    return f"""
        from pathlib import Path
        import brainio
        from brainio.catalogs import Catalog

        @brainio.hookimpl
        def brainio_catalogs(register):
            register(Catalog.from_files("{catalog}", Path(__file__).with_name("{module}.csv")))
    """


def _write_csv(folder, module: str, identifier: str) -> None:
    row = f"{identifier},assembly,DataAssembly,local,{identifier}.nc,{'a' * 40},"
    (folder / f"{module}.csv").write_text(",".join(COLUMNS) + "\n" + row + "\n")


def _specs():
    return [
        (name, function)
        for name, function in inspect.getmembers(hookspecs, inspect.isfunction)
        if name.startswith("brainio_")
    ]


def test_every_hook_spec_is_documented():
    specs = _specs()
    assert {name for name, _ in specs} >= {
        "brainio_catalogs",
        "brainio_classes",
        "brainio_fetcher",
        "brainio_opener",
        "brainio_assembly_loader",
        "brainio_stimulus_set_loader",
        "brainio_loader",
        "brainio_uploader",
        "brainio_register_commands",
    }
    for name, function in specs:
        doc = inspect.getdoc(function) or ""
        options = function.brainio_spec
        for parameter in inspect.signature(function).parameters:
            assert f":param {parameter}:" in doc, (name, parameter)
        assert "Implementing this hook" in doc, name
        firstresult = options.get("firstresult", False)
        assert ("Stops at first non-None result." in doc) == firstresult, name
        # contributing hooks get a register callback; choosing hooks are firstresult
        assert (
            "register" in inspect.signature(function).parameters
        ) != firstresult or name == "brainio_register_commands", name


@BOTH_ORDERS
def test_a_misspelled_hook_disables_only_its_plugin(install_distribution, order):
    def install_good():
        folder = install_distribution(
            "good-plugin", {"good_plugin": GOOD_PLUGIN}, {"brainio": {"good_plugin": "good_plugin"}}
        )
        _write_csv(folder, "good", "good.Assy")

    def install_typo():
        install_distribution(
            "typo-plugin", {"typo_plugin": TYPO_PLUGIN}, {"brainio": {"typo_plugin": "typo_plugin"}}
        )

    installs = [install_good, install_typo]
    for index in order:
        installs[index]()
    with pytest.warns(PluginLoadWarning, match="plugin 'typo_plugin'") as caught:
        names = [plugin["name"] for plugin in list_plugins()]
    message = str(caught[0].message)
    assert "unknown hook 'brainio_fetchers'" in message
    assert "did you mean 'brainio_fetcher'" in message and "typo-plugin" in message
    assert "good_plugin" in names and "typo_plugin" not in names
    assert "good" in brainio.list_catalogs()
    assert lookup.lookup_assembly("good.Assy").catalog == "good"


def test_brainio_list_survives_a_misspelled_hook(install_distribution):
    install_distribution(
        "typo-plugin", {"typo_plugin": TYPO_PLUGIN}, {"brainio": {"typo_plugin": "typo_plugin"}}
    )
    result = subprocess.run(
        [sys.executable, "-m", "brainio.cli", "list"], capture_output=True, text=True, timeout=120
    )
    assert result.returncode == 0, result.stderr
    assert "typo_plugin" in result.stderr and "brainio_fetchers" in result.stderr
    assert result.stderr.count("BrainIO plugin 'typo_plugin'") == 1  # one warning
    assert "Traceback" not in result.stderr


@BOTH_ORDERS
def test_two_plugins_claiming_one_location_type_resolve_by_name(install_distribution, order):
    plugins = [("a", "vault-a"), ("b", "vault-b")]
    for index in order:
        letter, name = plugins[index]
        install_distribution(
            name,
            {f"vault_{letter}": _vault_plugin(letter)},
            {"brainio": {f"vault_{letter}": f"vault_{letter}"}},
        )
    source = Source("vault", "vault://x", sha1=None)
    with pytest.warns(PluginClashWarning, match="location type 'vault'") as caught:
        fetcher = find_fetcher(source)
    assert fetcher.__name__ == "fetch_a"  # entry-point names in order: vault_a is asked first
    assert len(caught) == 1
    assert "using plugin 'vault_a', ignoring 'vault_b'" in str(caught[0].message)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # reported once per process, not on every fetch
        assert find_fetcher(source).__name__ == "fetch_a"


@BOTH_ORDERS
def test_a_plugin_marked_tryfirst_takes_over_without_a_warning(install_distribution, order):
    plugins = [("a", False), ("b", True)]
    for index in order:
        letter, tryfirst = plugins[index]
        module = f"vault_{letter}"
        install_distribution(
            f"vault-{letter}",
            {module: _vault_plugin(letter, tryfirst)},
            {"brainio": {module: module}},
        )
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        fetcher = find_fetcher(Source("vault", "vault://x", sha1=None))
    assert fetcher.__name__ == "fetch_b"


@BOTH_ORDERS
def test_two_distributions_with_one_entry_point_name(install_distribution, order):
    plugins = [("a", "vault-a"), ("b", "vault-b")]
    for index in order:
        letter, name = plugins[index]
        install_distribution(
            name,
            {f"vault_{letter}": _vault_plugin(letter)},
            {"brainio": {"vault": f"vault_{letter}"}},
        )
    with pytest.warns(PluginClashWarning, match="the plugin name 'vault'") as caught:
        fetcher = find_fetcher(Source("vault", "vault://x", sha1=None))
    assert fetcher.__name__ == "fetch_a"  # distribution names in order
    assert "using vault_a from vault-a, ignoring vault_b from vault-b" in str(caught[0].message)


@BOTH_ORDERS
def test_two_catalogs_with_one_name_the_first_plugin_wins_with_a_warning(
    install_distribution, order
):
    plugins = [("first", "first.Assy"), ("second", "second.Assy")]
    for index in order:
        module, identifier = plugins[index]
        folder = install_distribution(
            f"{module}-catalog",
            {module: _catalog_plugin("shared", module)},
            {"brainio": {module: module}},
        )
        _write_csv(folder, module, identifier)
    with pytest.warns(PluginClashWarning, match="a catalog named 'shared'") as caught:
        catalogs = brainio.list_catalogs()
    assert catalogs.count("shared") == 1
    assert "first.csv" in str(caught[0].message).split("ignoring")[0]
    assert lookup.lookup_assembly("first.Assy").catalog == "shared"
    with pytest.raises(AssemblyLookupError, match="second.Assy"):
        lookup.lookup_assembly("second.Assy")


def test_two_plugins_registering_one_class_name_warn_and_the_first_wins(register_plugin):
    from brainio import classes
    from brainio.assemblies import NeuroidAssembly

    def plugin_with(module: str) -> object:
        cls = type("LabAssembly", (NeuroidAssembly,), {"__slots__": (), "__module__": module})

        class Plugin:
            @brainio.hookimpl
            def brainio_classes(self, register):
                register(cls)

        return Plugin()

    register_plugin(plugin_with("lab_two"))
    register_plugin(plugin_with("lab_one"))  # registered later: asked first
    with pytest.warns(PluginClashWarning, match="a class named 'LabAssembly'.*using lab_one"):
        assert classes.resolve("LabAssembly").__module__ == "lab_one"


def _row(catalog: str, lookup_type: str = "assembly", location: str = "x.nc") -> LookupRow:
    class_name = "DataAssembly" if lookup_type == "assembly" else "StimulusSet"
    return LookupRow("x", lookup_type, class_name, "local", location, "a" * 40, catalog=catalog)


def test_a_plugin_loader_overrides_the_builtin_loader(register_plugin):
    from brainio.assemblies import load_assembly
    from brainio.stimuli import load_stimulus_set

    def mine_assembly(*args, **kwargs):
        raise AssertionError("not called here")

    class Override:
        @brainio.hookimpl
        def brainio_assembly_loader(self, row):
            return mine_assembly if row.catalog == "mine" else None

    register_plugin(Override())
    assert find_assembly_loader(_row("mine")) is mine_assembly
    assert find_assembly_loader(_row("other")) is load_assembly
    csv = _row("mine", "stimulus_set", "s.csv")
    assert find_stimulus_set_loader(csv) is load_stimulus_set


def test_the_deprecated_loader_hook_still_works_and_warns(register_plugin):
    from brainio.assemblies import load_assembly

    def old_loader(*args, **kwargs):
        raise AssertionError("not called here")

    def new_loader(*args, **kwargs):
        raise AssertionError("not called here")

    class Old:
        @brainio.hookimpl
        def brainio_loader(self, row):
            return old_loader if row.catalog in ("old", "both") else None

    class New:
        @brainio.hookimpl
        def brainio_assembly_loader(self, row):
            return new_loader if row.catalog == "both" else None

    with pytest.warns(DeprecationWarning, match="brainio_assembly_loader and brainio_stimulus"):
        register_plugin(Old())
    register_plugin(New())
    assert find_assembly_loader(_row("old")) is old_loader  # asked before the built-in
    assert find_assembly_loader(_row("both")) is new_loader  # the new hook first
    assert find_assembly_loader(_row("other")) is load_assembly


def test_broken_plugin_warns_and_the_rest_load(install_distribution, run_python):
    install_distribution(
        "broken-plugin",
        {"broken_plugin": "raise ImportError('missing dependency xyz')\n"},
        {"brainio": {"broken_plugin": "broken_plugin"}},
    )
    install_distribution(
        "good-plugin", {"good_plugin": GOOD_PLUGIN}, {"brainio": {"good_plugin": "good_plugin"}}
    )
    result = run_python(
        "from brainio.plugins import list_plugins; print([p['name'] for p in list_plugins()])"
    )
    assert result.returncode == 0, result.stderr
    assert "plugin 'broken_plugin'" in result.stderr and "missing dependency xyz" in result.stderr
    assert "brainio.builtin" in result.stdout and "'good_plugin'" in result.stdout


def test_strict_mode_reraises(install_distribution, run_python):
    install_distribution(
        "typo-plugin", {"typo_plugin": TYPO_PLUGIN}, {"brainio": {"typo_plugin": "typo_plugin"}}
    )
    result = run_python(
        "from brainio.plugins import get_plugin_manager; get_plugin_manager()",
        BRAINIO_STRICT_PLUGINS="1",
    )
    assert result.returncode != 0 and "PluginValidationError" in result.stderr
    assert "unknown hook 'brainio_fetchers'" in result.stderr


def test_load_plugins_allow_list(install_distribution, run_python):
    install_distribution(
        "extra-plugin",
        {
            "extra_plugin": """
        import brainio
        @brainio.hookimpl
        def brainio_uploader(target):
            return None
    """
        },
        {"brainio": {"extra_plugin": "extra_plugin"}},
    )
    code = (
        "from brainio.plugins import list_plugins; print(sorted(p['name'] for p in list_plugins()))"
    )
    none = run_python(code, BRAINIO_LOAD_PLUGINS="")
    assert none.stdout.strip() == "['brainio.builtin']", none.stderr
    only = run_python(code, BRAINIO_LOAD_PLUGINS="extra_plugin")
    assert only.stdout.strip() == "['brainio.builtin', 'extra_plugin']", only.stderr


def test_plugins_are_listed_in_the_order_they_are_asked():
    names = [plugin["name"] for plugin in list_plugins()]
    assert names[-1] == "brainio.builtin"
    assert names[:-1] == sorted(names[:-1])
    assert get_plugin_manager() is get_plugin_manager()


def test_import_is_cheap(run_python):
    """Importing brainio and loading plugins imports no heavy optional dependency."""
    result = run_python("""
        import sys
        import brainio
        from brainio.plugins import get_plugin_manager
        get_plugin_manager()
        heavy = ("boto3", "torch", "dask", "xarray", "matplotlib", "nibabel")
        heavy = [module for module in heavy if module in sys.modules]
        print(heavy)
    """)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "[]"
