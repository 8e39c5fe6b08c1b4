"""Large-file transfers: the high-level SDK (``bucket.upload``/``bucket.download``) against raw
single-stream clients (curl, httpx streaming PUT/GET) to the same Bucketry server, in one run.

    .venv/bin/python scripts/bench/sdk_bench.py [--size-mib 1024] [--runs 3]
        [--part-size-mib 0] [--concurrency 0] [--boto3] [--direction both|upload|download]
        [--baseline-sdk DIR]

The variants run round-robin (one run of each, then the next round) so background load hits
them alike, in a new order each round (shuffled, seeded by the round: the same in every
invocation) so that no variant always follows the same one (an upload run right after another
variant's 1 GiB blob was deleted was 5-10% slower in every round when the order was fixed);
every figure is the median of ``--runs``. Before each upload run the previous
upload's blob is deleted and the page cache flushed, untimed. Each SDK and httpx run is a fresh child
process whose whole tree is sampled for RSS (and which reports its own ``ru_maxrss``); curl runs
are timed from outside. Downloads of every client write a real file (the SDK verifies the
blob's CRC32C in the same pass by default; no fsync unless ``durable=True``, as curl).

SDK variants: the defaults (``checksum="crc32c"``, single PUT up to ``multipart_threshold``,
parallel parts above it), a forced single PUT and forced multipart (``--part-size-mib`` x
``--concurrency``; 0: the SDK's defaults), each with the default CRC32C, with
``checksum="sha256"`` and with no checksum. ``--sizes-mib 16,64,256`` instead times only the
SDK single PUT against multipart at each size (the crossover that sets the
``multipart_threshold`` default).

``--boto3`` also starts SeaweedFS (``weed mini``, tests/support/seaweed.py, loopback) and times
boto3 ``upload_file``/``download_file`` (default ``TransferConfig``) to and from it with the
same file in the same rounds, printing the SDK defaults (to Bucketry) as a ratio to them.

``--baseline-sdk DIR`` also times the SDK defaults of another source tree (DIR holds its
``bucketry`` package, e.g. ``highlevel/`` of ``git archive <commit>``, put first on the child's
``PYTHONPATH``) in the same rounds: old and new code side by side.

Printed: MiB/s and seconds per variant, each SDK figure as a ratio to the best raw single-stream
figure of the same direction, peak client RSS and the server's CPU seconds (all its processes)
per run, median.

Goals (issue 12): SDK >= 0.9x the best raw single-stream figure; SDK client RSS <= 100 MiB;
SDK -> Bucketry at least as fast as boto3 -> SeaweedFS.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).parent))
from common import (  # noqa: E402
    MiB,
    PeakRSS,
    bucketry_server,
    child_maxrss,
    load_avg,
    load_seaweed,
    make_file,
    median,
    run_child,
)

BUCKET = "bench"
UP_KEY = "upload.bin"
DOWN_KEY = "download.bin"
GOAL_RATIO = 0.9
GOAL_RSS = 100 * MiB
MODES = ("sdk-upload", "sdk-download", "httpx-put", "httpx-put-chunks", "httpx-get")
MODES += ("boto3-upload", "boto3-download")


# -- child processes (one transfer each, timed inside, JSON on stdout) -------------------------
def child(argv: list[str]) -> None:
    p = argparse.ArgumentParser()
    p.add_argument("mode", choices=MODES)
    p.add_argument("--url", required=True)
    p.add_argument("--token", required=True)
    p.add_argument("--path", required=True)
    p.add_argument("--key", required=True)
    p.add_argument("--options", default="{}")
    a = p.parse_args(argv)
    path = Path(a.path)
    options: dict[str, Any] = json.loads(a.options)
    if a.mode.startswith("sdk"):
        from bucketry import Client

        with Client(a.url, a.token, progress=False) as client:
            bucket = client.buckets.get(BUCKET)  # as users do: the ref becomes the id
            start, cpu0 = time.perf_counter(), time.process_time()  # all threads
            if a.mode == "sdk-upload":
                bucket.upload(path, a.key, **options)
            else:
                bucket.download(a.key, path, **options)
            elapsed = time.perf_counter() - start
    elif a.mode.startswith("boto3"):
        s3 = s3_client(options)
        start, cpu0 = time.perf_counter(), time.process_time()
        if a.mode == "boto3-upload":
            s3.upload_file(str(path), BUCKET, a.key)
        else:
            s3.download_file(BUCKET, a.key, str(path))
        elapsed = time.perf_counter() - start
    else:
        import httpx

        blob = f"{a.url}/api/v1/buckets/{BUCKET}/blob"
        auth = {"Authorization": f"Bearer {a.token}"}
        with httpx.Client(timeout=600, headers=auth) as client:
            start, cpu0 = time.perf_counter(), time.process_time()  # all threads
            if a.mode == "httpx-put":
                with open(path, "rb") as f:
                    client.put(blob, params={"key": a.key}, content=f).raise_for_status()
            elif a.mode == "httpx-put-chunks":
                size = path.stat().st_size

                def chunks() -> Any:
                    with open(path, "rb") as f:
                        while data := f.read(MiB):
                            yield data

                client.put(
                    blob,
                    params={"key": a.key},
                    content=chunks(),
                    headers={"Content-Length": str(size)},
                ).raise_for_status()
            else:
                with (
                    client.stream("GET", blob, params={"key": a.key}) as r,
                    open(path, "wb") as f,
                ):
                    r.raise_for_status()
                    for chunk in r.iter_raw():
                        f.write(chunk)
                    if options.get("fsync"):
                        f.flush()
                        os.fsync(f.fileno())
            elapsed = time.perf_counter() - start
    cpu = time.process_time() - cpu0
    print(json.dumps({"elapsed": elapsed, "maxrss": child_maxrss(), "cpu": cpu}))


def drop_upload(url: str, token: str) -> None:
    """Delete the uploaded blob (if any) and give the server time to delete its object: an
    upload overwriting it would otherwise race that deletion (the server deletes a replaced
    object after answering), and a multipart composite and a single file cost differently."""
    import httpx

    httpx.delete(
        f"{url}/api/v1/buckets/{BUCKET}/blob",
        params={"key": UP_KEY},
        headers={"Authorization": f"Bearer {token}"},
        timeout=60,
    )
    time.sleep(0.5)


def s3_client(conf: dict[str, str]) -> Any:
    """A boto3 S3 client of the SeaweedFS in ``conf`` (endpoint, access, secret)."""
    import boto3

    return boto3.client(
        "s3",
        endpoint_url=conf["endpoint"],
        region_name="us-east-1",
        aws_access_key_id=conf["access"],
        aws_secret_access_key=conf["secret"],
    )


# -- the parent -----------------------------------------------------------------------------------
class Variant:
    def __init__(
        self,
        name: str,
        direction: str,
        raw: bool,
        run: Callable[[], tuple[float, int]],
        peer: bool = False,
    ):
        self.name, self.direction, self.raw, self.run = name, direction, raw, run
        self.peer = peer  # another client to another server (boto3 -> SeaweedFS)
        self.times: list[float] = []
        self.server_cpu: list[float] = []
        self.rss = 0


@contextlib.contextmanager
def seaweed_conf(tmpdir: Path, src: Path, enabled: bool) -> Any:
    """With ``enabled``: a SeaweedFS on loopback holding ``src`` as ``DOWN_KEY`` in ``BUCKET``;
    yields its boto3 settings (None when not enabled)."""
    if not enabled:
        yield None
        return
    (tmpdir / "weed").mkdir()
    with load_seaweed().start_seaweedfs(tmpdir / "weed") as s3:
        conf = {"endpoint": s3.endpoint_url, "access": s3.access_key, "secret": s3.secret_key}
        client = s3_client(conf)
        client.create_bucket(Bucket=BUCKET)
        client.upload_file(str(src), BUCKET, DOWN_KEY)
        yield conf


def multipart_options(args: argparse.Namespace) -> tuple[dict[str, Any], str]:
    """The forced-multipart options (``--part-size-mib``/``--concurrency``, 0: the SDK's
    default) and their label."""
    multi: dict[str, Any] = {"multipart_threshold": 0}
    if args.part_size_mib:
        multi["part_size"] = args.part_size_mib * MiB
    if args.concurrency:
        multi["max_concurrency"] = args.concurrency
    if not args.part_size_mib and not args.concurrency:
        return multi, "multipart (defaults)"
    part = f"{args.part_size_mib} MiB" if args.part_size_mib else "default"
    return multi, f"multipart {part} x{args.concurrency or 'default'}"


def peer_variants(
    child_run: Callable[..., Callable[[], Any]], src: Path, out: Path, conf: dict[str, str]
) -> list[Variant]:
    """boto3 ``upload_file``/``download_file`` (default ``TransferConfig``) to SeaweedFS."""
    return [
        Variant(
            "boto3 upload_file -> SeaweedFS",
            "upload",
            False,
            child_run("boto3-upload", src, UP_KEY, **conf),
            peer=True,
        ),
        Variant(
            "boto3 download_file <- SeaweedFS",
            "download",
            False,
            child_run("boto3-download", out, DOWN_KEY, **conf),
            peer=True,
        ),
    ]


def curl_run(args: list[str]) -> tuple[float, int]:
    start = time.perf_counter()
    proc = subprocess.Popen(["curl", "-sS", "--fail", *args])
    with PeakRSS(proc.pid) as rss:
        proc.wait()
    elapsed = time.perf_counter() - start
    if proc.returncode:
        raise RuntimeError(f"curl failed: {proc.returncode}")
    return elapsed, rss.peak


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--size-mib", type=int, default=1024, help="file size (default 1024)")
    parser.add_argument("--runs", type=int, default=3, help="runs per variant (median)")
    parser.add_argument(
        "--part-size-mib", type=int, default=0, help="forced multipart part size (0: SDK default)"
    )
    parser.add_argument(
        "--concurrency", type=int, default=0, help="forced multipart parts in flight (0: default)"
    )
    parser.add_argument(
        "--boto3", action="store_true", help="also boto3 upload_file/download_file -> SeaweedFS"
    )
    parser.add_argument(
        "--sizes-mib", default="", help="comma-separated sizes: single vs multipart crossover only"
    )
    parser.add_argument(
        "--baseline-sdk", default="", help="also the SDK defaults from this source tree's package"
    )
    parser.add_argument(
        "--direction",
        choices=["both", "upload", "download"],
        default="both",
        help="run only the upload or only the download variants (default both)",
    )
    args = parser.parse_args()
    if args.sizes_mib:
        crossover(args, [int(s) for s in args.sizes_mib.split(",")])
        return
    size = args.size_mib * MiB
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]

    with tempfile.TemporaryDirectory(prefix="bkt-sdkbench-") as tmp:
        tmpdir = Path(tmp)
        src = make_file(tmpdir / "payload.bin", size)
        dl = tmpdir / "dl"
        dl.mkdir()
        with (
            seaweed_conf(tmpdir, src, args.boto3) as s3conf,
            bucketry_server(tmpdir / "srv") as (url, token, pid),
        ):
            from bucketry import Client

            with Client(url, token, progress=False) as client:
                client.buckets.create(BUCKET)
                client.buckets.get(BUCKET).upload(src, DOWN_KEY)
            blob = f"{url}/api/v1/buckets/{BUCKET}/blob"
            auth = f"Authorization: Bearer {token}"

            def child_run(
                mode: str, path: Path, key: str, env: dict[str, str] | None = None, **options: Any
            ) -> Callable[[], Any]:
                def run() -> tuple[float, int]:
                    if mode.endswith(("download", "get")):
                        (dl / "out.bin").unlink(missing_ok=True)
                    result, peak = run_child(
                        [
                            *me,
                            mode,
                            "--url",
                            url,
                            "--token",
                            token,
                            "--path",
                            str(path),
                            "--key",
                            key,
                            "--options",
                            json.dumps(options),
                        ],
                        env=env,
                        timeout=1800,
                    )
                    return result["elapsed"], peak

                return run

            def curl_get() -> tuple[float, int]:
                (dl / "out.bin").unlink(missing_ok=True)
                return curl_run(["-H", auth, "-o", str(dl / "out.bin"), f"{blob}?key={DOWN_KEY}"])

            single = {"multipart_threshold": size + 1}
            multi, mp = multipart_options(args)
            out = dl / "out.bin"
            variants = [
                Variant(
                    "curl PUT",
                    "upload",
                    True,
                    lambda: curl_run(
                        ["-o", "/dev/null", "-T", str(src), "-H", auth, f"{blob}?key={UP_KEY}"]
                    ),
                ),
                Variant(
                    "httpx PUT (file object)", "upload", True, child_run("httpx-put", src, UP_KEY)
                ),
                Variant(
                    "httpx PUT (1 MiB chunks)",
                    "upload",
                    True,
                    child_run("httpx-put-chunks", src, UP_KEY),
                ),
                Variant(
                    "SDK defaults (crc32c)", "upload", False, child_run("sdk-upload", src, UP_KEY)
                ),
                Variant(
                    "SDK single, crc32c",
                    "upload",
                    False,
                    child_run("sdk-upload", src, UP_KEY, **single),
                ),
                Variant(
                    "SDK single, no checksum",
                    "upload",
                    False,
                    child_run("sdk-upload", src, UP_KEY, checksum=False, **single),
                ),
                Variant(
                    f"SDK {mp}, crc32c",
                    "upload",
                    False,
                    child_run("sdk-upload", src, UP_KEY, **multi),
                ),
                Variant(
                    f"SDK {mp}, sha256",
                    "upload",
                    False,
                    child_run("sdk-upload", src, UP_KEY, checksum="sha256", **multi),
                ),
                Variant(
                    f"SDK {mp}, no checksum",
                    "upload",
                    False,
                    child_run("sdk-upload", src, UP_KEY, checksum=False, **multi),
                ),
                Variant("curl GET -> file", "download", True, curl_get),
                Variant(
                    "httpx GET iter_raw -> file",
                    "download",
                    True,
                    child_run("httpx-get", out, DOWN_KEY),
                ),
                Variant(
                    "httpx GET iter_raw -> file + fsync",
                    "download",
                    True,
                    child_run("httpx-get", out, DOWN_KEY, fsync=True),
                ),
                Variant(
                    "SDK download, crc32c (default)",
                    "download",
                    False,
                    child_run("sdk-download", out, DOWN_KEY),
                ),
                Variant(
                    "SDK download, no checksum",
                    "download",
                    False,
                    child_run("sdk-download", out, DOWN_KEY, checksum=False),
                ),
            ]
            if args.baseline_sdk:
                old = {"PYTHONPATH": str(Path(args.baseline_sdk).resolve())}
                run = child_run("sdk-upload", src, UP_KEY, env=old)
                variants.insert(4, Variant("SDK defaults (baseline)", "upload", False, run))
            if s3conf is not None:
                variants += peer_variants(child_run, src, out, s3conf)
            if args.direction != "both":
                variants = [v for v in variants if v.direction == args.direction]
            load_before = load_avg()
            with PeakRSS(pid) as server_rss:
                for r in range(args.runs):
                    order = list(variants)
                    random.Random(r).shuffle(order)
                    for v in order:
                        if v.direction == "upload":  # untimed: no run pays for the last one's
                            drop_upload(url, token)  # object, deleted after its overwrite
                        os.sync()  # untimed: each variant starts with no dirty pages to flush
                        cpu0 = tree_cpu(pid)
                        elapsed, peak = v.run()
                        v.server_cpu.append(tree_cpu(pid) - cpu0)
                        v.times.append(elapsed)
                        v.rss = max(v.rss, peak)
                    print(f"  round {r + 1}/{args.runs} done; {load_avg()}", file=sys.stderr)
            load_after = load_avg()

    print(f"\n== SDK vs raw, {args.size_mib} MiB file, median of {args.runs} runs, loopback ==")
    print(f"before: {load_before}\nafter:  {load_after}")
    for direction in ("upload", "download"):
        group = [v for v in variants if v.direction == direction]
        if not group:
            continue
        best = min((v for v in group if v.raw), key=lambda v: median(v.times))
        best_t = median(best.times)
        print(
            f"\n{direction}: best raw single stream = {best.name} ({size / best_t / MiB:.0f} MiB/s)"
        )
        print(
            f"  {'variant':40s} {'MiB/s':>7s} {'median s':>9s} {'runs s':>22s} "
            f"{'vs best raw':>11s} {'peak RSS':>9s} {'srv CPU s':>9s}"
        )
        for v in group:
            t = median(v.times)
            ratio = best_t / t
            verdict = ""
            if not v.raw and not v.peer:
                ok = ratio >= GOAL_RATIO and v.rss <= GOAL_RSS
                verdict = "  ok" if ok else "  MISS"
            runs = " ".join(f"{x:.2f}" for x in v.times)
            print(
                f"  {v.name:40s} {size / t / MiB:7.0f} {t:9.2f} {runs:>22s} "
                f"{ratio:10.2f}x {v.rss / MiB:7.0f} MiB {median(v.server_cpu):9.2f}{verdict}"
            )
        peers = [v for v in group if v.peer]
        if peers:
            sdk = next(v for v in group if "default" in v.name and not v.raw and not v.peer)
            ratio = median(peers[0].times) / median(sdk.times)
            verdict = "ok" if ratio >= 1 else "MISS"
            print(f"  {sdk.name} vs {peers[0].name}: {ratio:.2f}x  {verdict} (goal >= 1x)")
    print(f"\nserver peak RSS {server_rss.peak / MiB:.0f} MiB")
    print(
        f"goals: SDK >= {GOAL_RATIO}x best raw single stream, SDK client RSS <= "
        f"{GOAL_RSS // MiB} MiB"
    )


def tree_cpu(pid: int) -> float:
    """CPU seconds (user + system) used so far by process ``pid`` and its children."""
    import psutil

    root = psutil.Process(pid)
    total = 0.0
    for proc in [root, *root.children(recursive=True)]:
        try:
            t = proc.cpu_times()
        except psutil.Error:
            continue
        total += t.user + t.system
    return total


def crossover(args: argparse.Namespace, sizes: list[int]) -> None:
    """SDK single PUT vs multipart (``--part-size-mib`` x ``--concurrency``, 0: the SDK's
    defaults), default CRC32C, at each size: medians of ``--runs``, round-robin; with the CPU
    seconds of the client (from its first request) and of the server per run, which a busy
    machine disturbs less than the wall time."""
    me = [sys.executable, str(Path(__file__).resolve()), "--child"]
    rows: list[tuple[int, dict[str, list[tuple[float, float, float]]]]] = []
    with tempfile.TemporaryDirectory(prefix="bkt-crossover-") as tmp:
        tmpdir = Path(tmp)
        with bucketry_server(tmpdir / "srv") as (url, token, pid):
            from bucketry import Client

            with Client(url, token, progress=False) as client:
                client.buckets.create(BUCKET)
            for size_mib in sizes:
                src = make_file(tmpdir / f"{size_mib}.bin", size_mib * MiB)
                single = {"multipart_threshold": size_mib * MiB + 1}
                multi, _ = multipart_options(args)
                runs: dict[str, list[tuple[float, float, float]]] = {"single": [], "multi": []}
                for _ in range(args.runs):
                    for name, options in (("single", single), ("multi", multi)):
                        argv = [*me, "sdk-upload", "--url", url, "--token", token]
                        argv += ["--path", str(src), "--key", UP_KEY]
                        server0 = tree_cpu(pid)
                        result, _ = run_child(
                            [*argv, "--options", json.dumps(options)], timeout=1800
                        )
                        server = tree_cpu(pid) - server0
                        runs[name].append((result["elapsed"], result["cpu"], server))
                src.unlink()
                rows.append((size_mib, runs))
    print(f"\n== SDK single PUT vs {multipart_options(args)[1]} (CPU s: client + server) ==")
    print(f"load: {load_avg()}")
    for size_mib, runs in rows:
        cells = []
        for name in ("single", "multi"):
            wall = median([r[0] for r in runs[name]])
            client_cpu = median([r[1] for r in runs[name]])
            server_cpu = median([r[2] for r in runs[name]])
            cells.append(
                f"{name} {size_mib / wall:5.0f} MiB/s cpu {client_cpu:.2f}+{server_cpu:.2f} s"
            )
        faster = median([r[0] for r in runs["multi"]]) < median([r[0] for r in runs["single"]])
        print(f"  {size_mib:6d} MiB  {'   '.join(cells)}  {'multi' if faster else 'single'} faster")


if __name__ == "__main__":
    if len(sys.argv) > 1 and sys.argv[1] == "--child":
        child(sys.argv[2:])
    else:
        main()
