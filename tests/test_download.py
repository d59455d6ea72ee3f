"""Fetching Fashion-MNIST: SHA-256 checked before anything is written, bounded, a clear DataError otherwise."""

import gzip
import http.client
import http.server
import io
import threading

import numpy as np
import pytest

from d2l_ext import data
from tests.idx_files import as_the_real_files, write_set  # the small valid sets shared with test_data.py


@pytest.fixture
def upstream(tmp_path, monkeypatch):
    """A small valid set served from a file:// address, the pinned hashes set to its content; returns (url, arrays)."""
    source = tmp_path / "upstream"
    arrays = write_set(source)
    as_the_real_files(monkeypatch, source)
    return source, arrays


def assert_nothing_written(cache, before=()):
    """The cache holds what it held before (no file added, no temporary left)."""
    assert sorted(p.name for p in cache.iterdir()) == sorted(before) if cache.exists() else not before


def test_download_verifies_sha256_and_writes_atomically(tmp_path, upstream):
    source, arrays = upstream
    cache = data.download(tmp_path / "cache", url=source.as_uri() + "/")
    assert sorted(p.name for p in cache.iterdir()) == sorted(f"{n}.gz" for n, _, _ in data.FILES.values())
    assert np.array_equal(data.read_idx(cache / "t10k-labels-idx1-ubyte.gz", "labels", 10), arrays[("test", "labels")])


def test_download_reads_the_module_address_at_call_time(no_data_env, monkeypatch, upstream):
    source, _ = upstream
    monkeypatch.setattr(data, "DEBIAN_DIR", no_data_env / "no-debian")
    monkeypatch.setattr(data, "URL", source.as_uri() + "/")
    assert data.locate() == no_data_env / "home" / ".keras/datasets/fashion-mnist"


def test_download_with_wrong_hash_writes_nothing(tmp_path):
    source = tmp_path / "upstream"
    write_set(source)  # not the real data, so the pinned SHA-256 values cannot match
    with pytest.raises(data.DataError, match="SHA-256 of its content is [0-9a-f]{64}, expected"):
        data.download(tmp_path / "cache", url=source.as_uri() + "/")
    assert_nothing_written(tmp_path / "cache")


@pytest.mark.parametrize(
    "damage",
    [lambda gz: b"<html>not found</html>", lambda gz: gz[: len(gz) // 2], lambda gz: gz + b"trailing junk"],
    ids=["not gzip", "truncated", "padded"],
)
def test_a_corrupt_payload_is_a_data_error_and_writes_nothing(tmp_path, upstream, damage):
    source, _ = upstream
    first = source / f"{data.FILES[('train', 'images')][0]}.gz"
    first.write_bytes(damage(first.read_bytes()))
    with pytest.raises(data.DataError, match="train-images-idx3-ubyte.gz: not one whole gzip stream"):
        data.download(tmp_path / "cache", url=source.as_uri() + "/")
    assert_nothing_written(tmp_path / "cache")


def test_a_transfer_that_breaks_off_is_a_data_error(tmp_path, upstream, monkeypatch):
    class BrokenResponse(io.BytesIO):
        def read(self, *args):
            raise http.client.IncompleteRead(b"partial", 1000)

    monkeypatch.setattr(data.urllib.request, "urlopen", lambda *a, **k: BrokenResponse())
    with pytest.raises(data.DataError, match="the transfer broke off .*IncompleteRead.*nothing was written"):
        data.download(tmp_path / "cache", url="https://example.invalid/")
    assert_nothing_written(tmp_path / "cache")


def test_a_partial_file_in_the_cache_is_fetched_again_not_reused(tmp_path, upstream):
    source, arrays = upstream
    cache, name = tmp_path / "cache", f"{data.FILES[('test', 'labels')][0]}.gz"
    cache.mkdir()
    (cache / name).write_bytes((source / name).read_bytes()[:20])  # an earlier download cut short
    data.download(cache, url=source.as_uri() + "/")
    assert (cache / name).read_bytes() == (source / name).read_bytes()
    assert np.array_equal(data.read_idx(cache / name, "labels", 10), arrays[("test", "labels")])


def test_a_partial_file_in_the_cache_with_a_bad_upstream_is_a_data_error_and_stays_as_it_was(tmp_path, upstream):
    source, _ = upstream
    cache, name = tmp_path / "cache", f"{data.FILES[('train', 'images')][0]}.gz"
    cache.mkdir()
    partial = (source / name).read_bytes()[:20]
    (cache / name).write_bytes(partial)
    (source / name).write_bytes(partial)  # upstream serves the same cut file
    with pytest.raises(data.DataError, match="not one whole gzip stream"):
        data.download(cache, url=source.as_uri() + "/")
    assert_nothing_written(cache, before=[name])
    assert (cache / name).read_bytes() == partial


# ---- downloads from a local server: too large, refused, nothing written ----
@pytest.fixture
def server():
    """A web server on 127.0.0.1 answering every GET with `server.answer` = (status, body); stopped after the test."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status, body = httpd.answer
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    httpd.url = f"http://127.0.0.1:{httpd.server_address[1]}/"
    httpd.timeout = 10
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield httpd
    httpd.shutdown()
    httpd.server_close()


def test_a_response_over_the_size_cap_is_refused_before_decompressing(tmp_path, server, monkeypatch):
    monkeypatch.setattr(data, "MAX_DOWNLOAD_BYTES", 1000)
    server.answer = (200, gzip.compress(bytes(10_000), compresslevel=0))
    with pytest.raises(
        data.DataError, match=r"train-images-idx3-ubyte.gz: larger than 1000 bytes.*nothing was written"
    ):
        data.download(tmp_path / "cache", url=server.url)
    assert_nothing_written(tmp_path / "cache")


def test_an_error_page_is_refused_with_the_servers_answer(tmp_path, server):
    server.answer = (404, b"<html>Not Found</html>")
    with pytest.raises(data.DataError, match=r"train-images-idx3-ubyte.gz: the server answered 404 Not Found"):
        data.download(tmp_path / "cache", url=server.url)
    assert_nothing_written(tmp_path / "cache")
