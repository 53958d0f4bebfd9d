"""What one timed job is told by the workflow (common.smk builds it from the validated config)."""

from dataclasses import dataclass, field

from imgbench.objectstore.remote import Remote


@dataclass(frozen=True)
class Settings:
    """The config values a timed job uses; the defaults live in the schema, not here (see ``defaults``)."""

    durability: str  # none | fsync
    precision: float  # a measurement stops once its median's 95% interval is within this fraction of it
    min_repeats: int  # timed samples at least (warm-ups come on top)
    max_repeats: int  # and at most
    max_seconds: float  # timed work per measurement at most (min_repeats win)
    min_sample_seconds: float  # shorter operations are looped within a sample until it lasts this long
    warmup_runs: int
    chunk_images: int  # images per write or read call at most
    chunk_bytes: int  # and their raw bytes at most (Job.chunk_images)
    caches: tuple[str, ...]  # read cache states, CacheMode values
    seed: int
    prime_memory: bool
    options: dict = field(default_factory=dict)  # the method's writer options, defaults filled in
    round_trip_ms: float = 0.0  # storage.s3.round_trip_ms, for methods with a service (Method.serving); else 0
    store_concurrency: tuple[int, ...] = ()  # patterns.concurrency for methods that vary it at store, at its cutoffs
    s3_remote: Remote | None = None  # storage.s3's existing service, for methods with a service; None: local
    machine_id: str = ""  # environment.machine_id(), filled in by the job

    @classmethod
    def from_params(cls, params: dict, machine_id: str) -> "Settings":
        remote = params.get("s3_remote")
        given = {"caches": tuple(params["caches"]), "store_concurrency": tuple(params.get("store_concurrency", ())),
                 "s3_remote": Remote(**remote) if remote else None}  # fmt: skip
        return cls(**{**params, **given, "machine_id": machine_id})

    def sampler(self):
        """A fresh adaptive sampler for one measurement, with these settings."""
        from imgbench.sampling import AdaptiveSampler

        return AdaptiveSampler(self.max_seconds, self.precision, self.min_repeats, self.max_repeats)

    @classmethod
    def defaults(cls, **changes) -> "Settings":
        """The schema's defaults with changes (for tests and benchmark scripts)."""
        from imgbench import config

        checked = config.validate({"dataset": {"source": "synthetic"}})
        values = {key: checked[key] for key in config.SAMPLING_KEYS} | {
            "durability": checked["durability"],
            "warmup_runs": checked["warmup_runs"],
            "chunk_images": checked["chunk_images"],
            "chunk_bytes": checked["chunk_bytes"],
            "caches": tuple(checked["cache"]),
            "seed": checked["seed"],
            "prime_memory": checked["prime_memory"],
            "round_trip_ms": checked["storage"]["s3"]["round_trip_ms"],
            "machine_id": "test",
        }
        return cls(**(values | changes))
