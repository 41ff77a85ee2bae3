"""One `advisor probe` invocation end to end: plan, skip finished work, run, store, summarise.

The CLI is a thin view over `ProbeSession.run()`, which returns the DESIGN.md `probe` JSON document.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence

from benchmarks.datasets import ProbeDataset
from benchmarks.executors import ProbeJob, make_executor
from benchmarks.probes import MODE_RANK, ProbeOptions, ProbeOutcome
from benchmarks.runs import finish_run, finished_outcomes, record_outcome, start_run

ALL_MODES = ("logme", "knn", "linear", "finetune")


class ProbeSession:
    def __init__(self, store, dataset: ProbeDataset, task: str, model_ids: Sequence[str], *, mode: str = "auto",
                 device: str = "auto", executor: str = "local", address: str | None = None, force: bool = False,
                 budget_s: float = 600.0, batch_size: int = 64, seed: int = 0,
                 options: ProbeOptions | None = None, started_at: float | None = None) -> None:
        self.started_at = started_at or time.time()  # the budget clock: the CLI starts it with the command
        self.store, self.dataset, self.task = store, dataset, task
        self.model_ids, self.mode, self.force, self.budget_s = list(model_ids), mode, force, budget_s
        self.executor_name, self.address = executor, address
        self.options = options or ProbeOptions(batch_size=batch_size, seed=seed)
        self.device_choice = device
        # Local runs resolve the device here (a clear error before any work); Ray workers resolve their own.
        if executor == "local":
            from benchmarks.accel import resolve_device

            self.device = resolve_device(device)
        else:
            self.device = device

    def _record(self, run_id: str, outcome: ProbeOutcome) -> None:
        outcome.run_id = run_id
        with self.store.session() as session:  # one commit per outcome: SIGKILL loses only the model in flight
            record_outcome(session, run_id, self.task, self.dataset, outcome)

    def run(self, on_stage: Callable[[str, int], None] | None = None,
            on_outcome: Callable[[ProbeOutcome], None] | None = None) -> dict:
        """Run the probes and return the `probe` JSON document."""
        from benchmarks.accel import describe_device

        modes = list(ALL_MODES) if self.mode == "auto" else [self.mode]
        device_name = describe_device(self.device) if self.executor_name == "local" else f"ray:{self.device}"
        config = {"models": self.model_ids, "budget_s": self.budget_s, "executor": self.executor_name,
                  "address": self.address, "force": self.force, "options": self.options.__dict__}
        with self.store.session() as session:
            run_id = start_run(session, task=self.task, dataset=self.dataset, mode=self.mode, device=device_name,
                               config=config)
            done = {} if self.force else finished_outcomes(session, self.dataset.fingerprint, self.model_ids, modes)

        def stored(outcome: ProbeOutcome) -> None:
            self._record(run_id, outcome)
            if on_outcome:
                on_outcome(outcome)

        started = self.started_at
        executor = make_executor(self.executor_name, self.address)
        reached: dict | None = None
        status = "finished"
        outcomes: dict[tuple[str, str], ProbeOutcome] = dict(done)
        try:
            if self.mode == "auto":
                from benchmarks.auto import run_auto

                auto = run_auto(self.model_ids, self.dataset, executor, device=self.device, budget_s=self.budget_s,
                                options=self.options, done=done, on_outcome=stored, on_stage=on_stage,
                                started_at=self.started_at)
                outcomes = auto.outcomes
                reached = {m: {"reached": auto.reached.get(m), "stopped": auto.stopped.get(m)} for m in self.model_ids}
                status = "interrupted" if auto.interrupted else "finished"
            else:
                jobs = [ProbeJob(m, (self.mode,), self.device, self.options) for m in self.model_ids
                        if (m, self.mode) not in done]
                if on_stage:
                    on_stage(self.mode, len(jobs))
                try:
                    for batch in executor.run(jobs, self.dataset):
                        for outcome in batch:
                            outcomes[(outcome.model_id, outcome.mode)] = outcome
                            stored(outcome)
                except KeyboardInterrupt:
                    status = "interrupted"
        finally:
            executor.close()
        seconds = round(time.time() - started, 2)
        results = _ranked(outcomes.values(), self.model_ids, modes)
        if any(r["status"] == "failed" for r in results) and status == "finished":
            status = "finished-with-failures"
        summary = {"seconds": seconds, "ok": sum(r["status"] == "ok" for r in results),
                   "failed": sum(r["status"] == "failed" for r in results),
                   "reused": sum(bool(r.get("reused")) for r in results), "reached": reached}
        with self.store.session() as session:
            finish_run(session, run_id, status, summary)
        document = {"run_id": run_id, "task": self.task, "mode": self.mode, "status": status,
                    "device": device_name, "executor": self.executor_name, "seconds": seconds,
                    "budget_s": self.budget_s if self.mode == "auto" else None,
                    "dataset": self.dataset.summary(), "results": results}
        if reached is not None:
            document["reached"] = reached
        return document


def _ranked(outcomes, model_ids: Sequence[str], modes: Sequence[str]) -> list[dict]:
    """Results ordered by mode (most thorough first), then score; failed ones last. Each finished
    result carries its rank among the models probed in that mode."""
    wanted = set(model_ids)
    chosen = [o for o in outcomes if o.model_id in wanted and o.mode in modes]
    chosen.sort(key=lambda o: (-MODE_RANK[o.mode], o.status != "ok", -(o.score if o.score is not None else -1e30), o.model_id))
    rows, position = [], {}
    for o in chosen:
        row = o.to_dict()
        if o.status == "ok":
            position[o.mode] = position.get(o.mode, 0) + 1
            row["rank"] = position[o.mode]
        else:
            row["rank"] = None
        rows.append(row)
    return rows
