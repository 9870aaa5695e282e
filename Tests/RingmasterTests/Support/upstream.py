#!/usr/bin/env python3
"""A small upstream application for the proxy tests (ProxyTests.swift).

python3 upstream.py PORT NAME  -- serves HTTP/1.1 with keep-alive on 127.0.0.1:PORT
python3 upstream.py unix:PATH NAME -- the same on a Unix stream socket at PATH:
  /app/echo        what arrived: method, path, headers (one "name: value" line each), body size
  /app/big?n=N     N bytes (Content-Length), byte i = i % 251
  /app/chunked?n=N N bytes in chunks of 1000, chunked
  /app/close?n=N   N bytes, no Content-Length, connection closed after (body runs to close)
  /app/slow?ms=M   waits M ms, then answers "slow"
  /app/reset       closes the connection without answering
  /app/name        NAME (which upstream answered)
  /app/conn        the client port of this connection (keep-alive reuse shows as one port)
  /app/health      200 "ok", or 503 while the file /tmp/ringmaster-upstream-NAME.down exists
POST bodies are read by Content-Length and answered with their size and a checksum.
"""
import os, socketserver, sys, time, zlib
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

    def body(self):
        n = int(self.headers.get("Content-Length", "0") or 0)
        return self.rfile.read(n) if n else b""

    def do_POST(self):
        data = self.body()
        self.reply(f"{len(data)} {zlib.crc32(data)}".encode())

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


class UnixServer(socketserver.ThreadingUnixStreamServer):
    daemon_threads = True


if __name__ == "__main__":
    if sys.argv[1].startswith("unix:"):
        server = UnixServer(sys.argv[1][5:], Handler)
    else:
        server = Server(("127.0.0.1", int(sys.argv[1])), Handler)
    print("ready", flush=True)
    server.serve_forever()
