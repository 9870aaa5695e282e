#!/usr/bin/env python3
"""TLS client scenarios for TLSTests.swift: python3 tls_client.py SCENARIO PORT [ARG...].

Each scenario prints one JSON object on stdout (the test reads it) and exits 0; a failure is
reported in the object ("error"), never by a traceback the test would have to parse. Only
loopback, every socket has a timeout, every loop is bounded.
"""
import hashlib
import json
import os
import socket
import ssl
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.normpath(os.path.join(HERE, "..", "..", ".."))
CA = os.path.join(ROOT, "config", "tls", "localhost.pem")
OTHER = os.path.join(ROOT, "config", "tls", "other.pem")


def context(version=None, alpn=("http/1.1",), verify=True):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    if verify:
        c.load_verify_locations(CA)
        c.load_verify_locations(OTHER)
    else:
        c.check_hostname = False
        c.verify_mode = ssl.CERT_NONE
    if version == "1.2":
        c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_2
    elif version == "1.3":
        c.minimum_version = c.maximum_version = ssl.TLSVersion.TLSv1_3
    if alpn:
        c.set_alpn_protocols(list(alpn))
    return c


def connect(port, ctx, name="localhost", session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    return ctx.wrap_socket(raw, server_hostname=name, session=session)


def read_response(sock, buffer, head_only=False):
    """One HTTP/1.1 response (Content-Length framed); returns (status, body, rest)."""
    while b"\r\n\r\n" not in buffer:
        data = sock.recv(65536)
        if not data:
            raise EOFError("closed before a response head (%d bytes)" % len(buffer))
        buffer += data
    head, _, rest = buffer.partition(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ")[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value.strip())
    if head_only:
        return status, b"", rest
    while len(rest) < length:
        data = sock.recv(65536)
        if not data:
            raise EOFError("closed inside a body")
        rest += data
    return status, rest[:length], rest[length:]


def get(sock, target="/plaintext", host="localhost"):
    sock.sendall(b"GET %s HTTP/1.1\r\nHost: %s\r\n\r\n" % (target.encode(), host.encode()))
    status, body, _ = read_response(sock, b"")
    return status, body


def basic(port, version):
    s = connect(port, context(version))
    status, body = get(s)
    result = {"status": status, "body": body.decode(errors="replace"), "version": s.version(),
              "alpn": s.selected_alpn_protocol(), "cipher": s.cipher()[0]}
    s.close()
    return result


def sni(port, name):
    s = connect(port, context(verify=False), name=name)
    der = s.getpeercert(binary_form=True)
    s.close()
    # The subject's CN, without a parser: the test certificates' CNs are distinct strings.
    return {"localhost": b"localhost" in der and b"other.test" not in der, "other": b"other.test" in der}


def alpn(port, offered):
    try:
        s = connect(port, context(alpn=offered.split(",")))
        chosen = s.selected_alpn_protocol()
        status, _ = get(s)
        s.close()
        return {"alpn": chosen, "status": status}
    except ssl.SSLError as error:
        return {"error": "%s %s" % (error.reason, error)}


def resume(port, version):
    ctx = context(version)
    s = connect(port, ctx)
    get(s)  # TLS 1.3 tickets arrive after the handshake: read something first
    session = s.session
    s.close()
    again = connect(port, ctx, session=session)
    status, _ = get(again)
    result = {"reused": again.session_reused, "status": status, "version": again.version()}
    again.close()
    return result


def pipeline(port, count):
    s = connect(port, context())
    s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n" * count)
    buffer, got = b"", 0
    try:
        while got < count:
            status, _, buffer = read_response(s, buffer)
            if status != 200:
                break
            got += 1
    except (EOFError, OSError) as error:
        return {"responses": got, "error": str(error)}
    s.close()
    return {"responses": got}


def trickle(port, body_bytes):
    """The handshake and a POST whose body is one 16 KB record, all sent a byte at a time."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    sent = 0

    def pump():
        nonlocal sent
        data = outgoing.read()
        for i in range(len(data)):
            raw.send(data[i:i + 1])
            sent += 1

    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            pump()
            data = raw.recv(65536)
            if not data:
                return {"error": "closed during the handshake"}
            incoming.write(data)
    pump()
    body = bytes((i * 7) % 251 for i in range(body_bytes))
    tls.write(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(body))
    pump()
    tls.write(body)
    pump()
    buffer = b""
    deadline = time.time() + 30
    while time.time() < deadline:
        try:
            buffer += tls.read(65536)
            if b"\r\n\r\n" in buffer:
                head, _, rest = buffer.partition(b"\r\n\r\n")
                length = int([l.split(b":")[1] for l in head.split(b"\r\n") if l.lower().startswith(b"content-length")][0])
                if len(rest) >= length:
                    return {"status": int(head.split(b" ")[1]), "echoed": rest[:length] == body,
                            "bytes_sent_singly": sent}
        except ssl.SSLWantReadError:
            data = raw.recv(65536)
            if not data:
                return {"error": "closed before the response"}
            incoming.write(data)
    return {"error": "no response"}


def large(port, target, body_bytes):
    """GET a large body (its SHA-256) and POST one (the echo handler answers its SHA-256)."""
    s = connect(port, context())
    s.sendall(b"GET %s HTTP/1.1\r\nHost: x\r\n\r\n" % target.encode())
    status, body, rest = read_response(s, b"")
    body_hash = hashlib.sha256(body).hexdigest()
    upload = os.urandom(body_bytes)
    s.sendall(b"POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: %d\r\n\r\n" % len(upload) + upload)
    post_status, echoed, _ = read_response(s, rest)
    s.close()
    return {"status": status, "length": len(body), "sha256": body_hash, "post_status": post_status,
            "post_ok": echoed == upload}


def plaintext(port):
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.sendall(b"GET / HTTP/1.1\r\nHost: x\r\n\r\n")
    data = b""
    while True:
        chunk = raw.recv(65536)
        if not chunk:
            break
        data += chunk
    return {"first_line": data.split(b"\r\n")[0].decode(errors="replace"), "closed": True}


def wait_closed(raw, seconds=10):
    raw.settimeout(seconds)
    try:
        while raw.recv(65536):
            pass
        return True
    except (ConnectionResetError, BrokenPipeError):
        return True
    except socket.timeout:
        return False


def garbage(port):
    """A record header claiming a handshake, then bytes that are no ClientHello."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.sendall(b"\x16\x03\x01\x00\x40" + bytes(range(64)))
    return {"closed": wait_closed(raw)}


def truncated(port):
    """Half a ClientHello, then the client closes."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    try:
        tls.do_handshake()
    except ssl.SSLWantReadError:
        pass
    hello = outgoing.read()
    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    raw.sendall(hello[:len(hello) // 2])
    time.sleep(0.2)
    raw.close()
    return {"sent": len(hello) // 2}


def stalled(port, count, hold):
    """`count` connections that open and send nothing, or half a ClientHello; how many the
    server has closed after `hold` seconds."""
    sockets = []
    for i in range(count):
        raw = socket.create_connection(("127.0.0.1", port), timeout=10)
        if i % 2:
            raw.sendall(b"\x16\x03\x01\x02\x00\x01")
        sockets.append(raw)
    time.sleep(hold)
    closed = 0
    for raw in sockets:
        raw.setblocking(False)
        try:
            if raw.recv(65536) == b"":
                closed += 1
        except BlockingIOError:
            pass
        except ConnectionResetError:
            closed += 1
        raw.close()
    return {"closed": closed}


def close_notify(port, signal_file):
    """One request, then wait for the server to end the connection; whether it sent
    close_notify first (a clean TLS end) or just closed. The test signals the server once
    `signal_file` exists."""
    incoming, outgoing = ssl.MemoryBIO(), ssl.MemoryBIO()
    tls = context().wrap_bio(incoming, outgoing, server_hostname="localhost")
    raw = socket.create_connection(("127.0.0.1", port), timeout=20)
    while True:
        try:
            tls.do_handshake()
            break
        except ssl.SSLWantReadError:
            raw.sendall(outgoing.read())
            incoming.write(raw.recv(65536))
    raw.sendall(outgoing.read())
    tls.write(b"GET /plaintext HTTP/1.1\r\nHost: x\r\n\r\n")
    raw.sendall(outgoing.read())
    open(signal_file, "w").close()
    answered = False
    while True:
        try:
            data = tls.read(65536)
            if not data:
                # CPython's SSLObject.read returns b"" once close_notify arrived
                # (SSL_ERROR_ZERO_RETURN with SSL_RECEIVED_SHUTDOWN set).
                return {"answered": answered, "close_notify": True}
            if data.startswith(b"HTTP/1.1 200"):
                answered = True
        except ssl.SSLWantReadError:
            data = raw.recv(65536)
            if not data:
                return {"answered": answered, "close_notify": False}
            incoming.write(data)
        except ssl.SSLZeroReturnError:
            return {"answered": answered, "close_notify": True}


def rounds(port):
    """Eight keep-alive connections; each line "go" on stdin runs one round of requests on
    all of them (keep-alive, a 16-deep pipeline, HEAD, 404, a body) and prints "done"."""
    clients = [connect(port, context()) for _ in range(8)]
    buffers = [b""] * 8
    print("ready", flush=True)
    for line in sys.stdin:
        if line.strip() != "go":
            break
        for i, s in enumerate(clients):
            s.sendall(b"GET / HTTP/1.1\r\nHost: a\r\n\r\n")
            _, _, buffers[i] = read_response(s, buffers[i])
            s.sendall(b"GET /plaintext HTTP/1.1\r\nHost: a\r\n\r\n" * 16)
            for _ in range(16):
                _, _, buffers[i] = read_response(s, buffers[i])
            s.sendall(b"HEAD / HTTP/1.1\r\nHost: a\r\n\r\n")
            _, _, buffers[i] = read_response(s, buffers[i], head_only=True)
            s.sendall(b"GET /nothing-here HTTP/1.1\r\nHost: a\r\n\r\n")
            _, _, buffers[i] = read_response(s, buffers[i])
            s.sendall(b"POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\n\r\nhello")
            _, _, buffers[i] = read_response(s, buffers[i])
        print("done", flush=True)
    return {"rounds": "ended"}


SCENARIOS = {
    "basic": lambda p, a: basic(p, a[0] if a else None),
    "sni": lambda p, a: sni(p, a[0]),
    "alpn": lambda p, a: alpn(p, a[0]),
    "resume": lambda p, a: resume(p, a[0]),
    "pipeline": lambda p, a: pipeline(p, int(a[0])),
    "trickle": lambda p, a: trickle(p, int(a[0])),
    "large": lambda p, a: large(p, a[0], int(a[1])),
    "plaintext": lambda p, a: plaintext(p),
    "garbage": lambda p, a: garbage(p),
    "truncated": lambda p, a: truncated(p),
    "stalled": lambda p, a: stalled(p, int(a[0]), float(a[1])),
    "close_notify": lambda p, a: close_notify(p, a[0]),
    "rounds": lambda p, a: rounds(p),
}

if __name__ == "__main__":
    scenario, port, arguments = sys.argv[1], int(sys.argv[2]), sys.argv[3:]
    try:
        result = SCENARIOS[scenario](port, arguments)
    except Exception as error:  # reported to the test, which prints it
        result = {"error": "%s: %s" % (type(error).__name__, error)}
    print(json.dumps(result), flush=True)
