"""A method's decoding alone (method.decode, in memory, no I/O): read_many rows with pattern decode_only, so
that the summary splits every read into the codec and the rest.

The records to decode are the method's encoding of the same images, in the same chunks as its read, made
outside the timer. When they fit in RECORDS_BUDGET_BYTES they are made once and decoded by every sample;
beyond, each sample encodes its chunks again as it goes, so memory stays bounded at any size (at 256 x 256,
encoding 1,000 PNGs anew for each of 30 samples took 221 s outside the timers of one read job).
"""

from imgbench.measurement import Job, Measurement, Sampled
from imgbench.memory import available_bytes
from imgbench.rows import Operation, PatternName, Row
from imgbench.timer import gc_paused

RECORDS_BUDGET_BYTES = 512 << 20  # and at most an eighth of the memory available when the job starts
RECORDS_PER_RAW_BYTE = 1.2  # an encoding's records against raw pixels: at most raw plus per-record framing


def keeps_records(job: Job, n_images: int) -> bool:
    """Whether the encoded records of n_images fit the budget (estimated from their raw bytes)."""
    estimate = RECORDS_PER_RAW_BYTE * n_images * job.source.image_bytes
    return estimate <= min(RECORDS_BUDGET_BYTES, available_bytes() // 8)


def measure_decoding(job: Job, n_images: int) -> list[Row]:
    """decode_only rows for n_images; none for methods that store raw pixels (they decode nothing)."""
    method = job.method
    if method.decode is None:
        return []

    def encoded_chunks():
        for _start, images, labels in job.overhead.each("chunks", job.source.chunks(n_images, job.chunk_images)):
            with job.overhead("encode"):
                yield method.encode(images, labels)

    kept = list(encoded_chunks()) if keeps_records(job, n_images) else None

    def run(loops: int) -> Measurement:
        measurement = Measurement()
        with gc_paused():
            for records in kept if kept is not None else encoded_chunks():
                for _loop in range(loops):
                    with measurement.timed():
                        method.decode(records, job.source.image_shape)
        return measurement

    rows, sampled = [], Sampled(job.settings)
    while not sampled.done:
        measurement, loops, warmup = sampled.step(run)
        rows.append(job.row(measurement, Operation.READ_MANY, n_images, sampled.repeat - 1, warmup, loops,
                            pattern=PatternName.DECODE_ONLY))  # fmt: skip
    return rows
