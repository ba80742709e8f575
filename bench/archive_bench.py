"""Export and verify of a dossier against a bare ``tar`` + ``sha256sum`` of the same files.

    python bench/archive_bench.py [--docs 10000] [--mb 2000] [--repeat 3] [--dir DIR]

Builds a dossier of N documents (random bytes, ~MB in total, each with a booked entry of
two lines, so the journals and ledger are exported too) on SQLite and the local blob
store, then, in the same run and on the same (page-cached) files, ``--repeat`` rounds of:

* baseline export: ``tar -cf`` of the blob files (output fsynced, as the export is);
* ``boekbox`` export: :func:`storage.dossier_archive.export_dossier` (ZIP + manifest; it
  checks every original against its content address while copying it, which a bare tar
  does not: export against tar + sha256sum is the like-for-like figure);
* baseline verify: ``sha256sum`` of the blob files;
* ``boekbox`` verify: :func:`storage.integrity.verify_blobs` of the dossier.

Prints the best round of each (the machine may be shared: the best is the least
disturbed), throughput (MB/s), the ratios boekbox / baseline (target >= 0.7), the CPU
seconds each used (a shared machine slows what needs more CPU more), and the peak RSS of
this process (target < 300 MB; the data is never held in memory whole).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from decimal import Decimal
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from pipeline.runtime import build_runtime
from pipeline.settings import Settings
from storage import repo
from storage.db import migrate
from storage.dossier_archive import export_dossier
from storage.integrity import verify_blobs
from storage.mailstore import register_blobs
from storage.models import Document, JournalEntry, JournalLine


def _rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def _cpu(who: int) -> float:
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def build(root: Path, docs: int, total_mb: float) -> tuple[object, int, list[Path], int]:
    url = f"sqlite:///{root / 'bench.db'}"
    migrate(url)
    rt = build_runtime(
        Settings(
            database_url=url,
            blob_store=str(root / "blobs"),
            broker="stub",
            broker_url=str(root / "q.db"),
            mail_domain="bench.test",
        )
    )
    with rt.tx() as s:
        did = repo.create_dossier(s, name="Bench BV", mailbox="bench@bench.test").id
    mean = total_mb * 1_000_000 / docs
    rng = random.Random(17)
    paths: list[Path] = []
    total = 0
    batch = 200
    for start in range(0, docs, batch):
        datas = [
            os.urandom(max(1, int(rng.uniform(0.5, 1.5) * mean)))
            for _ in range(min(batch, docs - start))
        ]
        refs = rt.blobs.put_many(datas)
        del datas
        with rt.tx() as s:
            register_blobs(s, [(did, ref) for ref in refs])  # type: ignore[misc]
            rows = []
            for i, ref in enumerate(refs):
                assert not isinstance(ref, Exception)
                rows.append(
                    Document(
                        dossier_id=did,
                        kind="file",
                        blob_sha256=ref.sha256,
                        size=ref.size,
                        filename=f"invoice-{start + i:05d}.pdf",
                        content_type="application/pdf",
                        origin="bench",
                        channel="upload",
                        state="booked",
                    )
                )
                paths.append(rt.blobs.path(ref.sha256))  # type: ignore[attr-defined]
                total += ref.size
            s.add_all(rows)
            s.flush()
            for n, doc in enumerate(rows, start=start + 1):
                amount = Decimal(100 + n % 900) + Decimal(n % 100) / 100
                s.add(
                    JournalEntry(
                        dossier_id=did,
                        document_id=doc.id,
                        journal="purchases",
                        bookyear="2025",
                        period=f"2025-{1 + n % 12:02d}",
                        number=n,
                        date=dt.date(2025, 1 + n % 12, 1 + n % 28),
                        status="booked",
                        lines=[
                            JournalLine(seq=1, account="604000", debit=amount),
                            JournalLine(seq=2, account="440000", credit=amount),
                        ],
                    )
                )
    return rt, did, paths, total


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--docs", type=int, default=10_000)
    parser.add_argument("--mb", type=float, default=2_000.0)
    parser.add_argument("--repeat", type=int, default=3, help="rounds (the best is shown)")
    parser.add_argument("--dir", type=Path, default=None, help="work directory (default: temp)")
    args = parser.parse_args()
    root = Path(tempfile.mkdtemp(prefix="archive-bench-", dir=args.dir))
    try:
        t0 = time.perf_counter()
        rt, did, paths, total = build(root, args.docs, args.mb)
        print(
            f"dossier: {args.docs} documents, {total / 1e6:.0f} MB"
            f" (built in {time.perf_counter() - t0:.1f} s); peak RSS so far {_rss_mb():.0f} MB"
        )
        listing = root / "files.txt"
        listing.write_text("\n".join(str(p.relative_to(root / "blobs")) for p in paths) + "\n")
        mb = total / 1e6

        best: dict[str, tuple[float, float]] = {}

        def keep(name: str, secs: float, cpu: float) -> None:
            if name not in best or secs < best[name][0]:
                best[name] = (secs, cpu)

        verified = 0
        for _ in range(args.repeat):
            c, t = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            subprocess.run(
                [
                    "tar",
                    "-cf",
                    str(root / "baseline.tar"),
                    "-C",
                    str(root / "blobs"),
                    "-T",
                    str(listing),
                ],
                check=True,
            )
            fd = os.open(root / "baseline.tar", os.O_RDONLY)
            os.fsync(fd)
            os.close(fd)
            keep("tar", time.perf_counter() - t, _cpu(resource.RUSAGE_CHILDREN) - c)
            (root / "baseline.tar").unlink()

            c, t = _cpu(resource.RUSAGE_SELF), time.perf_counter()
            exported = export_dossier(rt.tx, rt.blobs, did, root / "export.zip")  # type: ignore[attr-defined]
            keep("export", time.perf_counter() - t, _cpu(resource.RUSAGE_SELF) - c)
            verified = exported.verified
            zip_mb = (root / "export.zip").stat().st_size / 1e6
            (root / "export.zip").unlink()

            c, t = _cpu(resource.RUSAGE_CHILDREN), time.perf_counter()
            with open(listing) as names:
                subprocess.run(
                    ["xargs", "sha256sum"],
                    stdin=names,
                    cwd=root / "blobs",
                    check=True,
                    stdout=subprocess.DEVNULL,
                )
            keep("sha256sum", time.perf_counter() - t, _cpu(resource.RUSAGE_CHILDREN) - c)

            c, t = _cpu(resource.RUSAGE_SELF), time.perf_counter()
            report = verify_blobs(rt.tx, rt.blobs, dossier_id=did)  # type: ignore[attr-defined]
            keep("verify", time.perf_counter() - t, _cpu(resource.RUSAGE_SELF) - c)
            assert report.clean, report.as_dict()
            assert report.checked == args.docs, report.as_dict()
        assert verified == args.docs, verified

        print(
            f"best of {args.repeat}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs"
        )
        print(f"{'':22}{'seconds':>9}{'MB/s':>9}{'CPU s':>8}")
        for name, label in (
            ("tar", "tar -cf (baseline)"),
            ("export", "boekbox export"),
            ("sha256sum", "sha256sum (baseline)"),
            ("verify", "boekbox verify"),
        ):
            secs, cpu = best[name]
            print(f"{label:22}{secs:9.2f}{mb / secs:9.1f}{cpu:8.2f}")
        tar_s, export_s = best["tar"][0], best["export"][0]
        sum_s, verify_s = best["sha256sum"][0], best["verify"][0]
        print(f"export ZIP: {zip_mb:.0f} MB for {mb:.0f} MB of originals")
        print(f"export throughput vs tar:       {tar_s / export_s:.2f}x (target >= 0.7)")
        print(
            f"export (checks all {verified} originals) vs tar + sha256sum:"
            f" {(tar_s + sum_s) / export_s:.2f}x"
        )
        print(f"verify throughput vs sha256sum: {sum_s / verify_s:.2f}x (target >= 0.7)")
        both = (tar_s + sum_s) / (export_s + verify_s)
        print(f"export + verify vs tar + sha256sum: {both:.2f}x (target >= 0.7)")
        print(f"export CPU vs tar CPU: {best['tar'][1] / best['export'][1]:.2f}x")
        print(f"peak RSS of this process: {_rss_mb():.0f} MB (target < 300)")
    finally:
        shutil.rmtree(root, ignore_errors=True)


if __name__ == "__main__":
    main()
