"""SparrowHTTP over loopback with Python's http.client, ssl and raw sockets."""
import gzip
import hashlib
import http.client
import os
import signal
import socket
import ssl
import subprocess
import time

import pytest

pytestmark = pytest.mark.filterwarnings("ignore::DeprecationWarning")

from http_util import running_server


@pytest.fixture(scope="module")
def server_process(tmp_path_factory):
    static = tmp_path_factory.mktemp("static")
    (static / "a.txt").write_text("static file\n")
    (static / "big.bin").write_bytes(os.urandom(200_000))
    with running_server("--static-dir", str(static), "--max-body", str(300 * 1024 * 1024)) as (port, proc):
        yield port, proc


@pytest.fixture(scope="module")
def server(server_process):
    return server_process[0]


def test_keep_alive_reuses_one_connection(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    for _ in range(5):
        conn.request("GET", "/hello")
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b"hello\n"
    conn.request("GET", "/items/42")
    r = conn.getresponse()
    assert r.read() == b'{"id":"42","route":"/items/{id}"}'
    conn.close()


def test_chunked_upload_and_expect_continue(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    conn.request("POST", "/echo", body=iter([b"abc", b"defg"]), encode_chunked=True,
                 headers={"Transfer-Encoding": "chunked"})
    r = conn.getresponse()
    assert r.read() == b"abcdefg"
    s = socket.create_connection(("127.0.0.1", server), timeout=5)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n")
    assert s.recv(100).startswith(b"HTTP/1.1 100 Continue\r\n\r\n")
    s.sendall(b"body")
    data = s.recv(1000)
    assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"body")
    s.close()


def test_large_upload_is_spooled_to_a_file(server):
    size = 200 * 1024 * 1024
    block = os.urandom(1024 * 1024)
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=30)
    conn.request("POST", "/upload", body=iter([block] * 200), headers={"Content-Length": str(size)})
    r = conn.getresponse()
    assert r.status == 200
    assert r.read() == b'{"kind":"file","size":%d}' % size


def test_gzip_and_vary(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    conn.request("GET", "/big", headers={"Accept-Encoding": "gzip;q=0.8, br"})
    r = conn.getresponse()
    body = r.read()
    assert r.getheader("Content-Encoding") == "gzip"
    assert r.getheader("Vary") == "Accept-Encoding"
    assert gzip.decompress(body) == b"sparrow compresses networks\n" * 2000
    conn.request("GET", "/big", headers={"Accept-Encoding": "identity"})
    r = conn.getresponse()
    assert r.getheader("Content-Encoding") is None and len(r.read()) == 28 * 2000


def test_server_sent_events(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    conn.request("GET", "/events?count=3")
    r = conn.getresponse()
    assert r.getheader("Content-Type") == "text/event-stream"
    assert r.read() == b"id: 0\ndata: tick 0\n\nid: 1\ndata: tick 1\n\nid: 2\ndata: tick 2\n\n"


def test_static_files_ranges_and_traversal(server):
    conn = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
    conn.request("GET", "/static/a.txt", headers={"Range": "bytes=0-5"})
    r = conn.getresponse()
    assert r.status == 206 and r.read() == b"static"
    etag = r.getheader("ETag")
    conn.request("GET", "/static/a.txt", headers={"If-None-Match": etag})
    r = conn.getresponse()
    assert r.status == 304 and r.read() == b""
    for target in ["/static/../Package.swift", "/static/%2e%2e/%2e%2e/etc/passwd", "/static/..%2f..%2fetc%2fpasswd"]:
        c = http.client.HTTPConnection("127.0.0.1", server, timeout=5)
        c.request("GET", target)
        r = c.getresponse()
        assert r.status in (403, 404), target
        assert b"root:" not in r.read()
        c.close()


@pytest.mark.parametrize("raw,status", [
    (b"GET / HTTP/1.1\r\n\r\n", 400),
    (b"GET /" + b"a" * 9000 + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414),
    (b"GET / HTTP/1.1\r\nHost: x\r\n" + b"".join(b"X-%d: v\r\n" % i for i in range(101)) + b"\r\n", 431),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: gzip\r\n\r\n", 501),
    (b"PRI * HTTP/2.0\r\n\r\nSM\r\n\r\n", 505),
    (b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 999999999999\r\n\r\n", 413),
])
def test_refusals_are_json_and_close(server, raw, status):
    s = socket.create_connection(("127.0.0.1", server), timeout=5)
    s.sendall(raw)
    data = b""
    while chunk := s.recv(65536):
        data += chunk
    s.close()
    assert data.startswith(b"HTTP/1.1 %d " % status), data[:80]
    assert b"Connection: close" in data and data.endswith(b"}") and b'{"error":' in data


def test_tls_with_python_ssl(tmp_path):
    key, cert = tmp_path / "key.pem", tmp_path / "cert.pem"
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=localhost",
                    "-addext", "subjectAltName=DNS:localhost", "-keyout", key, "-out", cert],
                   check=True, capture_output=True)
    with running_server("--tls-cert", str(cert), "--tls-key", str(key)) as (port, _):
        ctx = ssl.create_default_context(cafile=str(cert))
        ctx.set_alpn_protocols(["h2", "http/1.1"])
        with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
            with ctx.wrap_socket(raw, server_hostname="localhost") as tls:
                assert tls.selected_alpn_protocol() == "http/1.1"
                assert tls.version() in ("TLSv1.2", "TLSv1.3")
                tls.sendall(b"GET /hello HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n")
                data = b""
                while chunk := tls.recv(4096):
                    data += chunk
        assert data.startswith(b"HTTP/1.1 200 OK") and data.endswith(b"hello\n")
        old = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        old.load_verify_locations(str(cert))
        old.maximum_version = ssl.TLSVersion.TLSv1_1
        old.minimum_version = ssl.TLSVersion.TLSv1
        with pytest.raises((ssl.SSLError, ConnectionResetError)):
            with socket.create_connection(("127.0.0.1", port), timeout=5) as raw:
                old.wrap_socket(raw, server_hostname="localhost")


def test_sigterm_finishes_in_flight_request():
    with running_server() as (port, proc):
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        conn.request("GET", "/slow?ms=400")
        time.sleep(0.1)
        proc.send_signal(signal.SIGTERM)
        r = conn.getresponse()
        assert r.status == 200 and r.read() == b"slow done\n"
        assert r.getheader("Connection") == "close"
        assert proc.wait(timeout=5) == 0


def test_a_client_that_pipelines_and_never_reads_holds_little(server_process):
    # 3000 requests for a file in one write, no answer read: the server queues a few answers
    # (and open files), stops reading, and keeps serving others; then every answer arrives in order.
    port, proc = server_process
    descriptors = lambda: len(os.listdir("/proc/%d/fd" % proc.pid))
    before = descriptors()
    greedy = socket.create_connection(("127.0.0.1", port), timeout=10)
    greedy.sendall(b"GET /static/big.bin HTTP/1.1\r\nHost: x\r\n\r\n" * 3000)
    time.sleep(1)
    assert descriptors() < before + 20
    other = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    other.request("GET", "/hello")
    assert other.getresponse().read() == b"hello\n"
    other.close()
    greedy.sendall(b"GET /hello HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    received = 0
    tail = b""
    while True:
        chunk = greedy.recv(1 << 20)
        if not chunk:
            break
        received += len(chunk)
        tail = (tail + chunk)[-64:]
    greedy.close()
    assert received > 3000 * 200_000 and tail.endswith(b"hello\n")


def test_a_stream_is_sent_whole_before_a_requested_close(server):
    for request in [b"GET /events?count=3 HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n",
                    b"GET /events?count=3 HTTP/1.0\r\n\r\n"]:
        with socket.create_connection(("127.0.0.1", server), timeout=5) as sock:
            sock.sendall(request)
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        assert b"data: tick 2" in data, data
