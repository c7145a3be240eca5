"""Messages a user reads when asking for something that is not there."""

from __future__ import annotations

from fault_tools import brainio, one_line_error


def test_unknown_assembly_message_counts_assemblies():
    message = one_line_error(brainio("get", "demo.Shapes2062"), "AssemblyLookupError")

    assert "No assembly 'demo.Shapes2062' in the installed catalogs" in message
    assert "(did you mean 'demo.Shapes2026'?)" in message
    assert "known assemblies" in message and "assemblys" not in message
