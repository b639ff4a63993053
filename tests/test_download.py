"""Download, checksum, resume and extraction, against a local HTTP server and locally built archives."""

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from pathlib import Path

import pytest

from helpers import data, download

from .conftest import write_tone


class RangeHandler(http.server.SimpleHTTPRequestHandler):
    """Serves files from ``directory`` and honours ``Range: bytes=N-`` (as the real mirrors do)."""

    requests: list = []

    def log_message(self, *args):
        pass

    def do_GET(self):
        path = Path(self.directory) / self.path.lstrip("/")
        RangeHandler.requests.append((self.path, self.headers.get("Range")))
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        start = 0
        if self.headers.get("Range"):
            start = int(self.headers["Range"].split("=")[1].rstrip("-"))
            if start >= len(body):
                self.send_error(416)
                return
            self.send_response(206)
        else:
            self.send_response(200)
        self.send_header("Content-Length", str(len(body) - start))
        self.end_headers()
        self.wfile.write(body[start:])


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "served"
    root.mkdir()
    handler = lambda *a, **k: RangeHandler(*a, directory=str(root), **k)  # noqa: E731
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    RangeHandler.requests = []
    yield root, f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()


def marsyas_archive(tmp_path) -> Path:
    """A miniature genres.tar.gz in the original Marsyas layout."""
    src = tmp_path / "src"
    for genre in ("blues", "rock"):
        write_tone(src / "genres" / genre / f"{genre}.00000.au", seconds=1.0)
    archive = tmp_path / "genres.tar.gz"
    with tarfile.open(archive, "w:gz") as bundle:
        bundle.add(src / "genres", arcname="genres")
    return archive


def test_fetch_verifies_checksum_and_resumes(server, tmp_path):
    root, base = server
    payload = bytes(range(256)) * 4000
    (root / "file.bin").write_bytes(payload)
    md5 = hashlib.md5(payload).hexdigest()
    dest = tmp_path / "dl" / "file.bin"
    # A previous, interrupted download left the first 10000 bytes.
    dest.parent.mkdir()
    (dest.parent / "file.bin.part").write_bytes(payload[:10000])
    download.fetch(f"{base}/file.bin", dest, md5=md5, progress=False)
    assert dest.read_bytes() == payload
    assert RangeHandler.requests[-1] == ("/file.bin", "bytes=10000-")
    assert not (dest.parent / "file.bin.part").exists()
    # Already there with the right checksum: no request at all.
    count = len(RangeHandler.requests)
    download.fetch(f"{base}/file.bin", dest, md5=md5, progress=False)
    assert len(RangeHandler.requests) == count


def test_checksum_mismatch_removes_the_file(server, tmp_path):
    root, base = server
    (root / "file.bin").write_bytes(b"tampered")
    dest = tmp_path / "file.bin"
    with pytest.raises(download.DownloadError, match="checksum mismatch"):
        download.fetch(f"{base}/file.bin", dest, md5="0" * 32, progress=False)
    assert not dest.exists() and not Path(str(dest) + ".part").exists()


def test_http_error_and_offline_fail_fast(server, tmp_path):
    _, base = server
    with pytest.raises(download.DownloadError, match="HTTP 404"):
        download.fetch(f"{base}/missing.tar.gz", tmp_path / "x", progress=False)
    with pytest.raises(download.DownloadError, match="cannot connect"):
        download.fetch("http://127.0.0.1:9/genres.tar.gz", tmp_path / "y", timeout=2, progress=False)


def test_download_dataset_end_to_end_from_local_archive(server, tmp_path, monkeypatch):
    root, base = server
    archive = marsyas_archive(tmp_path)
    (root / "genres.tar.gz").write_bytes(archive.read_bytes())
    remote = download.Remote("genres.tar.gz", (f"{base}/genres.tar.gz",), download.file_hash(archive), "tiny")
    monkeypatch.setitem(download.REMOTES, "gtzan", remote)
    dest = tmp_path / "gtzan"
    download.download_dataset("gtzan", dest)
    layout = data.discover(dest)
    assert layout.kind == "marsyas" and layout.genres == ("blues", "rock")
    assert not (dest / "genres.tar.gz").exists()
    assert len(data.load_tracks(layout)) == 2


def test_download_dataset_offline_says_where_to_put_the_data(tmp_path, monkeypatch):
    remote = download.Remote("genres.tar.gz", ("http://127.0.0.1:9/genres.tar.gz",), "0" * 32, "tiny")
    monkeypatch.setitem(download.REMOTES, "gtzan", remote)
    with pytest.raises(download.DownloadError, match="Put the data in place by hand"):
        download.download_dataset("gtzan", tmp_path / "gtzan")
    with pytest.raises(download.DownloadError, match="valid: gtzan"):
        download.download_dataset("fma_huge", tmp_path)


def test_cli_download_failure_exit_code(tmp_path, monkeypatch, capsys):
    remote = download.Remote("genres.tar.gz", ("http://127.0.0.1:9/genres.tar.gz",), "0" * 32, "tiny")
    monkeypatch.setitem(download.REMOTES, "gtzan", remote)
    assert data.main(["download", "gtzan", "--dest", str(tmp_path / "g")]) == 1
    assert "How to get GTZAN" in capsys.readouterr().err


def test_extract_zip_and_refuse_path_traversal(tmp_path):
    good = tmp_path / "good.zip"
    with zipfile.ZipFile(good, "w") as bundle:
        bundle.writestr("genres_original/pop/pop.00000.txt", "x")
    download.extract(good, tmp_path / "out")
    assert (tmp_path / "out" / "genres_original" / "pop" / "pop.00000.txt").is_file()
    evil = tmp_path / "evil.tar.gz"
    with tarfile.open(evil, "w:gz") as bundle:
        info = tarfile.TarInfo("../escape.txt")
        info.size = 1
        bundle.addfile(info, io.BytesIO(b"x"))
    with pytest.raises(download.DownloadError, match="outside"):
        download.extract(evil, tmp_path / "out2")
    assert not (tmp_path / "escape.txt").exists()
    not_archive = tmp_path / "plain.txt"
    not_archive.write_text("hello")
    with pytest.raises(download.DownloadError, match="not a tar or zip"):
        download.extract(not_archive, tmp_path / "out3")


def test_split_lists_download_with_checksums(server, tmp_path, monkeypatch, real_gtzan):
    """The published fault-filtered lists, served locally from the real copies, pass the recorded SHA-256."""
    root, base = server
    for name in ("train", "valid", "test"):
        (root / f"{name}_filtered.txt").write_bytes((real_gtzan / "splits" / f"{name}_filtered.txt").read_bytes())
    dest = download.download_split_lists(tmp_path / "splits", url_template=base + "/{name}_filtered.txt")
    from helpers import splits

    assert {k: len(v) for k, v in splits.read_split_lists(dest).items()} == {"train": 443, "valid": 197, "test": 290}


def test_split_lists_bad_checksum_and_offline(server, tmp_path):
    root, base = server
    for name in ("train", "valid", "test"):
        (root / f"{name}_filtered.txt").write_text("blues/blues.00000.wav\n")
    with pytest.raises(download.DownloadError, match="checksum mismatch"):
        download.download_split_lists(tmp_path / "splits", url_template=base + "/{name}_filtered.txt")
    with pytest.raises(download.DownloadError, match="cannot connect"):
        download.download_split_lists(tmp_path / "splits", url_template="http://127.0.0.1:9/{name}_filtered.txt", timeout=2)
