"""Device profiles: the named targets, their sourced figures, defaults and bad names."""

from __future__ import annotations

import json

import pytest

from advisor.devices import EDGE_DEFAULT, SERVER_DEFAULT, get_profile, list_profiles
from catalog.errors import UsageError


def test_the_named_targets_are_all_there_with_their_kinds():
    by_name = {p.name: p for p in list_profiles()}
    assert list(by_name)[0] == "this" and by_name["this"].kind == "this"
    for name in ("raspberry-pi-5", "jetson-orin-nano", "snapdragon-8-gen-3"):
        assert by_name[name].kind == "edge"
    for name in ("xeon-8480", "t4", "l4", "a10", "a100", "h100"):
        assert by_name[name].kind == "server"
    assert by_name[EDGE_DEFAULT].kind == "edge" and by_name[SERVER_DEFAULT].kind == "server"


def test_every_figure_has_a_source():
    for p in list_profiles():
        assert p.peak_tflops.get("fp32", 0) > 0 and p.memory_bandwidth_gbs > 0
        assert p.sources, p.name
        for key, source in p.sources.items():
            assert source.startswith(("https://", "derived:", "assumed:", "/proc")), (p.name, key, source)
        if p.kind != "this":  # every named device cites at least one vendor page
            assert any(v.startswith("https://") for v in p.sources.values()), p.name


def test_datasheet_figures_are_the_vendor_ones():
    assert get_profile("t4").peak_tflops["fp16"] == 65.0 and get_profile("t4").memory_bandwidth_gbs == 320.0
    assert get_profile("h100").memory_bandwidth_gbs == 3350.0
    assert get_profile("a100").peak_tflops["bf16"] == 312.0


def test_this_machine_is_fingerprinted_without_torch():
    this = get_profile("this")
    assert this.cores and this.cores >= 1 and this.processor == "cpu"
    assert this.match and this.match[0].startswith("cpu:")


def test_aliases_unknown_names_and_precisions():
    assert get_profile("RPI5").name == "raspberry-pi-5"
    assert get_profile("edge").name == EDGE_DEFAULT and get_profile("server").name == SERVER_DEFAULT
    with pytest.raises(UsageError, match="Unknown device 'coral'; known devices: this, raspberry-pi-5"):
        get_profile("coral")
    with pytest.raises(UsageError, match="cannot run bf16"):
        get_profile("t4").check_precision("bf16")
    get_profile("l4").check_precision("bf16")


def test_devices_cli_json_names_the_defaults():
    from typer.testing import CliRunner

    from advisor.cli import app

    result = CliRunner().invoke(app, ["devices", "--json"])
    assert result.exit_code == 0, result.output
    document = json.loads(result.stdout)
    assert document["edge_default"] == EDGE_DEFAULT and document["server_default"] == SERVER_DEFAULT
    jetson = next(d for d in document["devices"] if d["name"] == "jetson-orin-nano")
    assert jetson["default_for"] == ["--edge"] and jetson["sources"]
    text = CliRunner().invoke(app, ["devices"]).output
    assert f"--edge means {EDGE_DEFAULT}" in text.replace("\n", " ")
