"""`advisor devices`: the named targets and the datasheet figures behind their estimates."""

from __future__ import annotations

from advisor.cli.options import JsonOpt
from advisor.cli.output import emit_json, note, stdout, table


def devices(json_out: JsonOpt = False) -> None:
    """List device profiles (this machine, edge, server) with figures and their sources."""
    from advisor.devices import EDGE_DEFAULT, SERVER_DEFAULT, list_profiles

    profiles = list_profiles()
    if json_out:
        emit_json({"edge_default": EDGE_DEFAULT, "server_default": SERVER_DEFAULT,
                   "devices": [p.to_dict() for p in profiles]})
        return
    rows = []
    for p in profiles:
        default = " (--edge)" if p.name == EDGE_DEFAULT else " (--server)" if p.name == SERVER_DEFAULT else ""
        half = p.peak_tflops.get("fp16") or p.peak_tflops.get("bf16")
        rows.append((p.name + default, p.kind, p.processor, f"{p.peak_tflops.get('fp32', 0):g}",
                     "-" if half is None else f"{half:g}", f"{p.peak_tflops.get('int8', 0):g}",
                     f"{p.memory_bandwidth_gbs:g}", "-" if p.memory_gb is None else f"{p.memory_gb:g}",
                     ",".join(p.precisions)))
    stdout.print(table("Devices (peak TFLOPS, dense)", ["name", "kind", "runs on", "fp32", "fp16/bf16", "int8", "GB/s", "mem GB", "precisions"], rows))
    for p in profiles:
        stdout.print(f"[bold]{p.name}[/bold]: {p.title}", highlight=False)
        for key, url in p.sources.items():
            stdout.print(f"  {key}: {url}", highlight=False, soft_wrap=True)
    note(f"--edge means {EDGE_DEFAULT}; --server means {SERVER_DEFAULT}. 'derived' figures are computed "
         "from cores x clock x FMA lanes as written; measured rows (advisor bench) always beat estimates.")
