"""Download, checksum, resume, mirrors and extraction, against a local HTTP server and locally built archives.

The server runs on 127.0.0.1 in a thread; nothing else on the network is touched. Each
served path can be given a plan of misbehaviours (drop the connection, stall, ignore
Range), consumed one per request; the back-off sleep is replaced so every test is quick.
"""

from __future__ import annotations

import ast
import hashlib
import http.server
import io
import random
import socket
import struct
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from helpers.data import download

PAYLOAD = bytes(range(256)) * 400  # 102,400 bytes
SHORT_TIMEOUT = 0.5  # seconds; the stalling server waits far longer than this


class LocalServer:
    """A local HTTP server that honours ``Range: bytes=N-`` (as the real mirrors do), records every
    request as ``(path, Range header)``, and follows a per-path plan of misbehaviours."""

    def __init__(self, root: Path):
        self.root = root
        self.requests: list[tuple[str, str | None]] = []
        self.plans: dict[str, list[str]] = {}
        self.release = threading.Event()  # ends every stall at teardown
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, *args):
                pass

            def do_GET(self):
                server.requests.append((self.path, self.headers.get("Range")))
                plan = server.plans.get(self.path)
                mode = plan.pop(0) if plan else "ok"
                kind, _, amount = mode.partition(":")
                if kind.isdigit():  # an HTTP error status
                    self.send_error(int(kind))
                    return
                path = server.root / self.path.lstrip("/")
                if not path.is_file():
                    self.send_error(404)
                    return
                body = path.read_bytes()
                start = 0
                range_header = self.headers.get("Range")
                if range_header and kind != "ignore_range":
                    start = int(range_header.split("=")[1].rstrip("-"))
                    if start >= len(body):
                        self.send_response(416)
                        self.send_header("Content-Range", f"bytes */{len(body)}")
                        self.send_header("Content-Length", "0")
                        self.end_headers()
                        return
                    self.send_response(206)
                    self.send_header("Content-Range", f"bytes {start}-{len(body) - 1}/{len(body)}")
                else:
                    self.send_response(200)
                rest = body[start:]
                if kind == "chunked_drop":  # chunked transfer cut off: http.client raises IncompleteRead
                    self.send_header("Transfer-Encoding", "chunked")
                    self.end_headers()
                    piece = rest[: int(amount)]
                    self.wfile.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
                    self.wfile.flush()
                    return
                self.send_header("Content-Length", str(len(rest)))
                self.end_headers()
                if kind == "ok" or kind == "ignore_range":
                    self.wfile.write(rest)
                    return
                self.wfile.write(rest[: int(amount)])
                self.wfile.flush()
                if kind == "stall":  # headers and some bytes, then silence
                    server.release.wait(10)
                elif kind == "reset":  # close with a TCP reset: the client reads ConnectionResetError
                    self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
                # "drop": return early; the connection closes before Content-Length bytes

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        self.base = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True)

    def serve(self, name: str, content: bytes, plan: list[str] | None = None) -> str:
        (self.root / name).parent.mkdir(parents=True, exist_ok=True)
        (self.root / name).write_bytes(content)
        self.plans["/" + name] = list(plan or [])
        return f"{self.base}/{name}"

    def count(self, name: str) -> int:
        return sum(path == "/" + name for path, _ in self.requests)


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    local = LocalServer(root)
    local.thread.start()
    yield local
    local.release.set()
    local.httpd.shutdown()
    local.httpd.server_close()


@pytest.fixture
def sleeps(monkeypatch) -> list[float]:
    """The back-off sleeps ``fetch`` asked for (none of them actually waits)."""
    asked: list[float] = []
    monkeypatch.setattr(download, "sleep", asked.append, raising=False)
    return asked


def sha256(content: bytes) -> str:
    return "sha256:" + hashlib.sha256(content).hexdigest()


def closed_port() -> int:
    """A local port nothing listens on (connections to it are refused at once)."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def part_of(dest: Path) -> Path:
    return dest.with_name(dest.name + ".part")


# --- fetch: checksums -------------------------------------------------------------------------

@pytest.mark.parametrize("algorithm", ["md5", "sha1", "sha256"])
def test_fetch_verifies_each_checksum_algorithm(server, tmp_path, algorithm):
    url = server.serve("file.bin", PAYLOAD)
    checksum = f"{algorithm}:{hashlib.new(algorithm, PAYLOAD).hexdigest()}"
    dest = download.fetch(url, tmp_path / "dl" / "file.bin", checksum=checksum, progress=False)
    assert dest.read_bytes() == PAYLOAD and not part_of(dest).exists()
    assert download.file_hash(dest, algorithm) == checksum.split(":")[1]


def test_existing_good_file_is_kept_without_a_request(server, tmp_path):
    url = server.serve("file.bin", PAYLOAD)
    dest = tmp_path / "file.bin"
    dest.write_bytes(PAYLOAD)
    assert download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False) == dest
    assert server.requests == []


def test_existing_file_with_wrong_checksum_is_downloaded_again(server, tmp_path):
    url = server.serve("file.bin", PAYLOAD)
    dest = tmp_path / "file.bin"
    dest.write_bytes(b"stale")
    download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False)
    assert dest.read_bytes() == PAYLOAD


def test_complete_file_with_wrong_checksum_is_removed_and_reported(server, tmp_path, sleeps):
    url = server.serve("file.bin", b"tampered")
    dest = tmp_path / "file.bin"
    with pytest.raises(download.DownloadError, match="checksum mismatch") as caught:
        download.fetch(url, dest, checksum="sha1:" + "0" * 40, progress=False)
    assert url in str(caught.value) and "sha1" in str(caught.value)
    assert not dest.exists() and not part_of(dest).exists()
    assert server.count("file.bin") == 1 and sleeps == []  # a complete download is not retried


@pytest.mark.parametrize("bad", ["0" * 32, "crc32:1234abcd", "md5:xyz", "sha1:" + "0" * 32, ""])
def test_malformed_checksum_is_refused(bad):
    with pytest.raises(ValueError, match="checksum"):
        download.parse_checksum(bad)
    with pytest.raises(ValueError, match="checksum"):
        download.Remote("f.zip", ("http://127.0.0.1/f.zip",), bad, "tiny")


def test_remote_needs_a_tuple_of_mirrors():
    with pytest.raises(ValueError, match="mirror"):
        download.Remote("f.zip", "http://127.0.0.1/f.zip", sha256(b""), "tiny")  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="mirror"):
        download.Remote("f.zip", (), sha256(b""), "tiny")


# --- fetch: interrupted transfers ---------------------------------------------------------------

@pytest.mark.parametrize("failure", ["drop:30000", "chunked_drop:30000", "reset:30000"])
def test_resume_after_a_dropped_connection(server, tmp_path, sleeps, failure):
    """The part file is kept, the next request resumes with Range, and the result is byte-identical."""
    url = server.serve("file.bin", PAYLOAD, plan=[failure])
    dest = tmp_path / "file.bin"
    download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False, backoff=0.5)
    assert dest.read_bytes() == PAYLOAD and not part_of(dest).exists()
    assert [r for _, r in server.requests][0] is None
    assert len(server.requests) == 2 and sleeps == [0.5]
    second_range = server.requests[1][1]
    if failure.startswith("reset"):  # how much arrives before a reset depends on the kernel
        assert second_range is None or second_range.startswith("bytes=")
    else:
        assert second_range == "bytes=30000-"


def test_dropped_connection_keeps_the_part_for_the_next_run(server, tmp_path, sleeps):
    """With the retries spent, the error says what happened and that the next run resumes; it does."""
    url = server.serve("file.bin", PAYLOAD, plan=["drop:30000", "drop:20000"])
    dest = tmp_path / "file.bin"
    with pytest.raises(download.DownloadError) as caught:
        download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False, retries=1, backoff=1.0)
    message = str(caught.value)
    assert url in message and "connection closed" in message and "50,000 of 102,400" in message
    assert "kept" in message and "resume" in message and "checksum" not in message
    assert part_of(dest).read_bytes() == PAYLOAD[:50000]
    assert sleeps == [1.0]
    download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False)  # the next run
    assert server.requests[-1] == ("/file.bin", "bytes=50000-")
    assert dest.read_bytes() == PAYLOAD


def test_backoff_doubles_between_attempts(server, tmp_path, sleeps):
    url = server.serve("file.bin", PAYLOAD, plan=["drop:100"] * 4)
    with pytest.raises(download.DownloadError, match="4 attempts"):
        download.fetch(url, tmp_path / "file.bin", progress=False, retries=3, backoff=0.25)
    assert sleeps == [0.25, 0.5, 1.0]
    assert server.count("file.bin") == 4


def test_stall_is_a_download_error_not_a_timeout(server, tmp_path, sleeps):
    url = server.serve("file.bin", PAYLOAD, plan=["stall:1000", "stall:1000"])
    dest = tmp_path / "file.bin"
    with pytest.raises(download.DownloadError, match="stalled") as caught:
        download.fetch(url, dest, progress=False, timeout=SHORT_TIMEOUT, retries=1)
    assert "kept" in str(caught.value)
    assert part_of(dest).stat().st_size == 2000  # the second attempt resumed after the first 1000 bytes
    assert server.requests[1] == ("/file.bin", "bytes=1000-")


def test_server_errors_are_retried_but_not_found_is_not(server, tmp_path, sleeps):
    url = server.serve("file.bin", PAYLOAD, plan=["503"])
    download.fetch(url, tmp_path / "file.bin", progress=False)
    assert server.count("file.bin") == 2 and len(sleeps) == 1
    with pytest.raises(download.DownloadError, match="HTTP 404"):
        download.fetch(f"{server.base}/missing.bin", tmp_path / "missing.bin", progress=False)
    assert server.count("missing.bin") == 1 and len(sleeps) == 1


def test_refused_connection_fails_fast(tmp_path, sleeps):
    with pytest.raises(download.DownloadError, match="cannot connect"):
        download.fetch(f"http://127.0.0.1:{closed_port()}/file.bin", tmp_path / "file.bin", progress=False)
    assert sleeps == []  # offline: no retries


def test_server_ignoring_range_restarts_the_part_cleanly(server, tmp_path):
    url = server.serve("file.bin", PAYLOAD, plan=["ignore_range"])
    dest = tmp_path / "file.bin"
    part_of(dest).write_bytes(b"x" * 5000)  # not even the right bytes
    download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False)
    assert server.requests == [("/file.bin", "bytes=5000-")]
    assert dest.read_bytes() == PAYLOAD


def test_416_with_a_complete_part_is_success(server, tmp_path):
    url = server.serve("file.bin", PAYLOAD)
    dest = tmp_path / "file.bin"
    part_of(dest).write_bytes(PAYLOAD)
    download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False)
    assert server.requests == [("/file.bin", f"bytes={len(PAYLOAD)}-")]
    assert dest.read_bytes() == PAYLOAD and not part_of(dest).exists()


def test_416_with_an_oversized_part_restarts(server, tmp_path, sleeps):
    url = server.serve("file.bin", PAYLOAD)
    dest = tmp_path / "file.bin"
    part_of(dest).write_bytes(PAYLOAD + b"junk")
    download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False)
    assert [r for _, r in server.requests] == [f"bytes={len(PAYLOAD) + 4}-", None]
    assert dest.read_bytes() == PAYLOAD


def test_size_detects_a_short_body_without_content_length(server, tmp_path, sleeps):
    """A chunked body that ends cleanly but short of the known size is incomplete, not a mismatch."""
    url = server.serve("file.bin", PAYLOAD, plan=["chunked_drop:100"])
    dest = tmp_path / "file.bin"
    download.fetch(url, dest, checksum=sha256(PAYLOAD), progress=False, size=len(PAYLOAD))
    assert dest.read_bytes() == PAYLOAD


# --- download_remote: mirrors, extraction -------------------------------------------------------

def zip_archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as bundle:
        for name, content in members.items():
            bundle.writestr(name, content)
    return buffer.getvalue()


def tar_gz_archive(members: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w:gz") as bundle:
        for name, content in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(content)
            bundle.addfile(info, io.BytesIO(content))
    return buffer.getvalue()


HOW_TO = "How to get the test set: copy it by hand."


def test_download_remote_extracts_a_tar_gz(server, tmp_path, capsys):
    archive = tar_gz_archive({"genres/blues/blues.00000.au": b"a" * 3000, "genres/rock/rock.00000.au": b"r" * 10})
    url = server.serve("genres.tar.gz", archive)
    remote = download.Remote("genres.tar.gz", (url,), "md5:" + hashlib.md5(archive).hexdigest(), "tiny")
    dest = tmp_path / "gtzan"
    assert download.download_remote(remote, dest, HOW_TO) == dest
    assert (dest / "genres" / "blues" / "blues.00000.au").read_bytes() == b"a" * 3000
    assert (dest / "genres" / "rock" / "rock.00000.au").is_file()
    assert not (dest / "genres.tar.gz").exists()
    assert sorted(p.name for p in dest.iterdir()) == ["genres"]  # no staging folder left behind
    assert "python -m helpers.data check" in capsys.readouterr().out


def test_download_remote_extracts_a_zip_with_sha1_and_keeps_the_archive(server, tmp_path):
    archive = zip_archive({"fma_small/000/000002.mp3": b"m" * 500, "fma_small/README.txt": b"hi"})
    url = server.serve("fma_small.zip", archive)
    remote = download.Remote("fma_small.zip", (url,), "sha1:" + hashlib.sha1(archive).hexdigest(), "tiny")
    dest = tmp_path / "fma"
    download.download_remote(remote, dest, HOW_TO, keep_archive=True)
    assert (dest / "fma_small" / "000" / "000002.mp3").read_bytes() == b"m" * 500
    assert (dest / "fma_small.zip").read_bytes() == archive


def test_download_remote_without_extraction_keeps_the_file(server, tmp_path):
    url = server.serve("tracks.csv", b"track_id,genre\n")
    remote = download.Remote("tracks.csv", (url,), sha256(b"track_id,genre\n"), "tiny", extract=False)
    download.download_remote(remote, tmp_path / "meta", HOW_TO)
    assert (tmp_path / "meta" / "tracks.csv").read_bytes() == b"track_id,genre\n"


def test_stalled_mirror_is_retried_then_the_next_mirror_resumes(server, tmp_path, sleeps, capsys):
    audio = random.Random(0).randbytes(20000)  # incompressible, so the archive is larger than what a stall sends
    archive = tar_gz_archive({"genres/pop/pop.00000.au": audio})
    stalled = server.serve("slow/genres.tar.gz", archive, plan=["stall:1000"] * 3)
    good = server.serve("genres.tar.gz", archive)
    remote = download.Remote("genres.tar.gz", (stalled, good), sha256(archive), "tiny")
    download.download_remote(remote, tmp_path / "gtzan", HOW_TO, timeout=SHORT_TIMEOUT, retries=2)
    assert (tmp_path / "gtzan" / "genres" / "pop" / "pop.00000.au").read_bytes() == audio
    assert server.count("slow/genres.tar.gz") == 3 and sleeps == [1.0, 2.0]
    assert server.requests[-1] == ("/genres.tar.gz", "bytes=3000-")  # resumed what the stalled mirror sent
    out = capsys.readouterr().out
    assert stalled in out and good in out


def test_checksum_mismatch_on_one_mirror_falls_through_to_the_next(server, tmp_path):
    archive = zip_archive({"a.txt": b"a"})
    bad = server.serve("bad/f.zip", zip_archive({"a.txt": b"b"}))
    good = server.serve("f.zip", archive)
    remote = download.Remote("f.zip", (bad, good), sha256(archive), "tiny")
    download.download_remote(remote, tmp_path / "out", HOW_TO)
    assert (tmp_path / "out" / "a.txt").read_bytes() == b"a"


def test_all_mirrors_failing_is_one_error_naming_each_and_how_to_get(server, tmp_path, sleeps):
    missing = f"{server.base}/missing.tar.gz"
    refused = f"http://127.0.0.1:{closed_port()}/genres.tar.gz"
    remote = download.Remote("genres.tar.gz", (missing, refused), sha256(b""), "about 1.2 GB")
    with pytest.raises(download.DownloadError) as caught:
        download.download_remote(remote, tmp_path / "gtzan", HOW_TO)
    message = str(caught.value)
    assert missing in message and "HTTP 404" in message
    assert refused in message and "cannot connect" in message
    assert HOW_TO in message and "genres.tar.gz" in message
    assert not (tmp_path / "gtzan" / "genres.tar.gz").exists()


def test_destination_that_is_a_file_is_one_clear_error(server, tmp_path):
    url = server.serve("f.zip", zip_archive({"a.txt": b"a"}))
    remote = download.Remote("f.zip", (url,), sha256(b""), "tiny")
    not_a_folder = tmp_path / "taken"
    not_a_folder.write_text("x")
    with pytest.raises(download.DownloadError, match="not a folder"):
        download.download_remote(remote, not_a_folder, HOW_TO)
    with pytest.raises(download.DownloadError, match="cannot create the folder"):
        download.fetch(url, not_a_folder / "f.zip", progress=False)
    assert server.requests == []


def test_url_override_replaces_the_mirrors(server, tmp_path):
    archive = zip_archive({"a.txt": b"a"})
    url = server.serve("elsewhere.zip", archive)
    remote = download.Remote("f.zip", (f"http://127.0.0.1:{closed_port()}/f.zip",), sha256(archive), "tiny")
    download.download_remote(remote, tmp_path / "out", HOW_TO, url=url)
    assert (tmp_path / "out" / "a.txt").is_file()
    assert [path for path, _ in server.requests] == ["/elsewhere.zip"]


# --- extract --------------------------------------------------------------------------------

def test_extract_replaces_an_earlier_extraction_of_the_same_archive_only(tmp_path):
    zipped, tarred = tmp_path / "a.zip", tmp_path / "b.tar.gz"
    zipped.write_bytes(zip_archive({"genres_original/pop/pop.00000.txt": b"x"}))
    tarred.write_bytes(tar_gz_archive({"genres_original/rock/rock.00000.txt": b"y"}))
    out = tmp_path / "out"
    download.extract(zipped, out)
    assert (out / "genres_original" / "pop" / "pop.00000.txt").read_bytes() == b"x"
    download.extract(zipped, out)  # its own earlier extraction: replaced as a whole
    assert (out / "genres_original" / "pop" / "pop.00000.txt").read_bytes() == b"x"
    with pytest.raises(download.DownloadError, match="not an earlier extraction of b.tar.gz"):
        download.extract(tarred, out)  # what another archive made is left as it is
    assert (out / "genres_original" / "pop" / "pop.00000.txt").read_bytes() == b"x"
    assert not (out / "genres_original" / "rock").exists()


@pytest.mark.parametrize("member", ["../escape.txt", "/tmp/absolute-escape.txt", "ok/../../escape.txt"])
@pytest.mark.parametrize("build", [zip_archive, tar_gz_archive])
def test_extract_refuses_path_traversal(tmp_path, member, build):
    archive = tmp_path / "evil.bin"
    archive.write_bytes(build({"fine.txt": b"f", member: b"x"}))
    out = tmp_path / "deep" / "out"
    with pytest.raises(download.DownloadError, match="outside"):
        download.extract(archive, out)
    assert not (tmp_path / "deep" / "escape.txt").exists() and not (tmp_path / "escape.txt").exists()
    assert not (out / "fine.txt").exists()  # nothing extracted, no staging left
    assert list(out.iterdir()) == []


def test_extract_refuses_what_is_not_an_archive(tmp_path):
    plain = tmp_path / "plain.txt"
    plain.write_text("hello")
    with pytest.raises(download.DownloadError, match="not a tar or zip"):
        download.extract(plain, tmp_path / "out")


# --- layering --------------------------------------------------------------------------------

def test_download_imports_nothing_from_helpers_but_runtime():
    tree = ast.parse(Path(download.__file__).read_text())
    internal = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.level or (node.module or "").startswith("helpers")):
            internal.add(node.module or "")
        elif isinstance(node, ast.Import):
            internal.update(alias.name for alias in node.names if alias.name.startswith("helpers"))
    assert internal <= {"runtime", "helpers.runtime"}, internal
