"""Time the upload's image processing alone, in one process.

    python -m bench.upload_timing PHOTO [--repeats 15]

Prints one JSON line: the median and maximum of `process_image` on PHOTO in
milliseconds, and the process's peak RSS. The runner starts this with the
server's environment, so the settings (pixel cap) are the server's.
"""

import argparse
import json
import resource
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("photo", type=Path)
    parser.add_argument("--repeats", type=int, default=15)
    args = parser.parse_args(argv)
    import django

    django.setup()
    from apoint.uploads import process_image

    data = args.photo.read_bytes()
    process_image(data)  # warm up the codecs
    timings = []
    for _ in range(args.repeats):
        started = time.perf_counter()
        _, _, width, height = process_image(data)
        timings.append((time.perf_counter() - started) * 1000)
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    result = {
        "bytes": len(data),
        "output_size": [width, height],
        "repeats": args.repeats,
        "median_ms": round(statistics.median(timings), 1),
        "max_ms": round(max(timings), 1),
        "peak_rss_mib": round(peak_kib / 1024, 1),
    }
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
