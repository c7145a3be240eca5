"""Messages a user reads when asking for something that is not there."""

from __future__ import annotations

from fault_tools import python


def test_unknown_assembly_message_counts_assemblies():
    result = python(
        """
        import brainio
        try:
            brainio.get_assembly("demo.Shapes2062")
        except brainio.BrainIOError as error:
            print(type(error).__name__, error)
        """
    )
    assert result.stdout.startswith("AssemblyLookupError "), result.stdout + result.stderr
    message = result.stdout

    assert "No assembly 'demo.Shapes2062' in the installed catalogs" in message
    assert "(did you mean 'demo.Shapes2026'?)" in message
    assert "known assemblies" in message and "assemblys" not in message
