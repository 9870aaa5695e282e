#!/usr/bin/env python3
"""A small upstream application for the proxy tests (ProxyTests.swift).

python3 upstream.py PORT NAME  -- serves HTTP/1.1 with keep-alive on 127.0.0.1:PORT
python3 upstream.py unix:PATH NAME -- the same on a Unix stream socket at PATH:
  /app/echo        what arrived: method, path, headers (one "name: value" line each), body size
  /app/big?n=N     N bytes (Content-Length), byte i = i % 251
  /app/chunked?n=N N bytes in chunks of 1000, chunked
  /app/close?n=N   N bytes, no Content-Length, connection closed after (body runs to close)
  /app/slow?ms=M   waits M ms, then answers "slow"
  /app/stall?n=N&ms=M  a head promising N bytes, 1000 of them, then nothing for M ms
  /app/reset       closes the connection without answering
  /app/name        NAME (which upstream answered)
  /app/conn        the client port of this connection (keep-alive reuse shows as one port)
  /app/health      200 "ok", or 503 while the file /tmp/ringmaster-upstream-NAME.down exists
POST bodies (Content-Length or chunked) are read in pieces and answered with their size and a
CRC-32, and an X-Framing field saying how they came ("length" or "chunked"):
  ?hold_ms=M       (any POST) waits M ms before reading the body (a slow upstream)
  /app/pattern     (POST) answers "SIZE ok", or "SIZE bad@OFFSET" at the first byte that is not
                   i % 251 (a body too large to hold checked as it streams)
  /app/drop?after=N (POST) reads N bytes of the body, then closes without answering
"""
import os, socket, socketserver, sys, time, zlib
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import urlparse, parse_qs

NAME = sys.argv[2] if len(sys.argv) > 2 else "upstream"


def pattern(n):
    return bytes(i % 251 for i in range(n))


class Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def log_message(self, *args):
        pass

    def reply(self, body, status=200, headers=()):
        self.send_response(status)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Content-Type", "text/plain")
        for k, v in headers:
            self.send_header(k, v)
        self.end_headers()
        if self.command != "HEAD":
            self.wfile.write(body)

    def chunked(self):
        return "chunked" in self.headers.get("Transfer-Encoding", "").lower()

    def pieces(self):
        """The body in pieces of at most 64 KiB, as it arrives."""
        if self.chunked():
            while True:
                size = int(self.rfile.readline().split(b";")[0].strip(), 16)
                if size == 0:
                    while self.rfile.readline() not in (b"\r\n", b"\n", b""):
                        pass
                    return
                while size > 0:
                    piece = self.rfile.read(min(size, 65536))
                    if not piece:
                        raise ConnectionError("body cut short")
                    size -= len(piece)
                    yield piece
                self.rfile.read(2)
        else:
            left = int(self.headers.get("Content-Length", "0") or 0)
            while left > 0:
                piece = self.rfile.read(min(left, 65536))
                if not piece:
                    raise ConnectionError("body cut short")
                left -= len(piece)
                yield piece

    def do_POST(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        framing = ("X-Framing", "chunked" if self.chunked() else "length")
        if "hold_ms" in q:
            time.sleep(int(q["hold_ms"][0]) / 1000)
        if url.path == "/app/drop":
            after = int(q.get("after", ["0"])[0])
            got = 0
            for piece in self.pieces():
                got += len(piece)
                if got >= after:
                    break
            self.close_connection = True
            self.connection.shutdown(2)
            return
        if url.path == "/app/pattern":
            expected = pattern(251 + 65536)
            total, bad = 0, None
            for piece in self.pieces():
                start = total % 251
                if bad is None and piece != expected[start:start + len(piece)]:
                    bad = total + next(i for i in range(len(piece)) if piece[i] != expected[start + i])
                total += len(piece)
            self.reply(f"{total} {'ok' if bad is None else f'bad@{bad}'}".encode(), headers=[framing])
            return
        total, crc = 0, 0
        for piece in self.pieces():
            total += len(piece)
            crc = zlib.crc32(piece, crc)
        self.reply(f"{total} {crc}".encode(), headers=[framing])

    do_PUT = do_POST

    def do_HEAD(self):
        self.do_GET()

    def do_GET(self):
        url = urlparse(self.path)
        q = parse_qs(url.query)
        n = int(q.get("n", ["0"])[0])
        if url.path == "/app/echo":
            lines = [f"{self.command} {self.path}"] + [f"{k.lower()}: {v}" for k, v in self.headers.items()]
            self.reply(("\n".join(lines) + "\n").encode())
        elif url.path == "/app/big":
            self.reply(pattern(n))
        elif url.path == "/app/chunked":
            self.send_response(200)
            self.send_header("Transfer-Encoding", "chunked")
            self.end_headers()
            data = pattern(n)
            for i in range(0, n, 1000):
                piece = data[i:i + 1000]
                self.wfile.write(b"%x\r\n" % len(piece) + piece + b"\r\n")
            self.wfile.write(b"0\r\n\r\n")
        elif url.path == "/app/close":
            self.send_response(200)
            self.send_header("Connection", "close")
            self.end_headers()
            self.wfile.write(pattern(n))
            self.close_connection = True
        elif url.path == "/app/stall":
            # A head promising n bytes, 1000 of them, then nothing for ms (a body that stalls).
            self.send_response(200)
            self.send_header("Content-Length", str(n))
            self.end_headers()
            self.wfile.write(pattern(1000))
            self.wfile.flush()
            time.sleep(int(q.get("ms", ["3000"])[0]) / 1000)
            self.close_connection = True
        elif url.path == "/app/slow":
            time.sleep(int(q.get("ms", ["100"])[0]) / 1000)
            self.reply(b"slow")
        elif url.path == "/app/reset":
            self.close_connection = True
            self.connection.close()
        elif url.path == "/app/name":
            self.reply(NAME.encode())
        elif url.path == "/app/health":
            down = os.path.exists(f"/tmp/ringmaster-upstream-{NAME}.down")
            self.reply(b"down\n" if down else b"ok\n", status=503 if down else 200)
        elif url.path == "/app/conn":
            # A Unix-socket peer has no port: the connection's object id tells reuse apart.
            peer = self.client_address[1] if isinstance(self.client_address, tuple) else id(self.connection)
            self.reply(str(peer).encode())
        else:
            self.reply(b"not here\n", status=404)

    do_DELETE = do_GET
    do_OPTIONS = do_GET


class Server(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def server_bind(self):
        # A fixed receive buffer (accepted sockets inherit it): a held upload then backs up
        # into the proxy after a known 256 KiB instead of an autotuned tens of megabytes.
        self.socket.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 262144)
        super().server_bind()


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    if sys.argv[1].startswith("unix:"):
        server = UnixServer(sys.argv[1][5:], Handler)
    else:
        server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
