"""Where probes run: in this process, or one probe per Ray task on a local Ray instance or a cluster.

Both executors take the same jobs and yield the same ProbeOutcome values as each finishes; the
caller stores each outcome the moment it arrives, so the store (SQLite here, PostgreSQL for a
team) sees the same rows whichever executor ran them.
"""

from __future__ import annotations

import os
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

from benchmarks.datasets import ProbeDataset
from benchmarks.probes import ProbeOptions, ProbeOutcome, run_probe
from catalog.errors import CatalogError, UsageError


@dataclass(frozen=True)
class ProbeJob:
    """One model's probes: `modes` run in order in one place so they share its cached features."""

    model_id: str
    modes: tuple[str, ...]
    device: str  # cpu | cuda | auto (resolved where the job runs)
    options: ProbeOptions = ProbeOptions()


def run_job(job: ProbeJob, dataset: ProbeDataset) -> list[ProbeOutcome]:
    """Run a job's modes in order; a failed mode does not stop the next one."""
    from benchmarks.accel import resolve_device

    device = resolve_device(job.device)
    return [run_probe(job.model_id, dataset, mode, device, job.options) for mode in job.modes]


class LocalExecutor:
    """Runs jobs one after another in this process."""

    name = "local"
    parallel = False

    def run(self, jobs: Sequence[ProbeJob], dataset: ProbeDataset) -> Iterator[list[ProbeOutcome]]:
        for job in jobs:
            yield run_job(job, dataset)

    def close(self) -> None:
        pass


def _ray_job(job: ProbeJob, dataset: ProbeDataset) -> list[ProbeOutcome]:
    return run_job(job, dataset)


class RayExecutor:
    """One Ray task per job, a GPU requested per task when probing on CUDA."""

    name = "ray"
    parallel = True

    def __init__(self, address: str | None = None, *, num_cpus: int | None = None) -> None:
        try:
            import ray
        except ImportError:
            raise UsageError("--executor ray needs Ray: pip install 'model-advisor[ray]'.") from None
        self._ray = ray
        self._started = False
        if not ray.is_initialized():
            kwargs = {"include_dashboard": False, "log_to_driver": False, "configure_logging": False}
            if address:
                kwargs["address"] = address
            elif num_cpus:
                kwargs["num_cpus"] = num_cpus
            try:
                # Local workers inherit this environment (HF_HOME, HF_HUB_OFFLINE, ADVISOR_CACHE_DIR, TORCH_HOME);
                # a cluster's workers need the same variables and the dataset on a shared path.
                ray.init(runtime_env={"env_vars": _forwarded_env()}, **kwargs)
            except ConnectionError as exc:
                raise UsageError(f"Cannot reach the Ray cluster at {address}: {exc}.") from None
            except Exception as exc:  # noqa: BLE001 - Ray raises bare Exception when a local node fails to start
                raise CatalogError(f"Ray could not start ({str(exc).splitlines()[0][:200]}); "
                                   "retry, or use --executor local.") from None
            self._started = True

    def _gpus_per_task(self, device: str) -> float:
        if device.startswith("cuda"):
            return 1.0
        if device == "auto":
            return 1.0 if self._ray.cluster_resources().get("GPU", 0) >= 1 else 0.0
        return 0.0

    def run(self, jobs: Sequence[ProbeJob], dataset: ProbeDataset) -> Iterator[list[ProbeOutcome]]:
        ray = self._ray
        if not jobs:
            return
        dataset_ref = ray.put(dataset)
        pending = []
        for job in jobs:
            gpus = self._gpus_per_task(job.device)
            # A task that got a GPU must use it: "auto" on a GPU worker is CUDA.
            remote = ray.remote(num_cpus=1, num_gpus=gpus, max_retries=0)(_ray_job)
            pending.append(remote.remote(replace(job, device="cuda" if gpus else job.device), dataset_ref))
        try:
            while pending:
                done, pending = ray.wait(pending, num_returns=1)
                yield ray.get(done[0])
        finally:
            for ref in pending:  # Ctrl-C or a closed generator: stop what has not finished
                ray.cancel(ref, force=True)

    def close(self) -> None:
        if self._started:
            self._ray.shutdown()


_FORWARDED = ("HF_HOME", "HF_HUB_CACHE", "HF_HUB_OFFLINE", "TORCH_HOME", "ADVISOR_CACHE_DIR", "TRANSFORMERS_OFFLINE")


def _forwarded_env() -> dict[str, str]:
    return {k: os.environ[k] for k in _FORWARDED if k in os.environ}


def make_executor(name: str, address: str | None = None):
    """The executor named on the command line."""
    if name == "local":
        if address:
            raise UsageError("--address only applies to --executor ray.")
        return LocalExecutor()
    if name == "ray":
        return RayExecutor(address)
    raise UsageError(f"--executor must be local or ray, not {name}.")
