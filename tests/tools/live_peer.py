#!/usr/bin/env python3
"""Both ends of the traffic tests/cli/live.bats captures, standard library only.

  live_peer.py serve ADDR        HTTP on ADDR:8080 (one small page) and, on
                                 ADDR:8443, a listener that reads a TLS
                                 ClientHello and closes; runs until killed
  live_peer.py client ADDR N     N HTTP requests, then N TLS ClientHellos
                                 (SNI live-N.example), one connection each
"""
import http.server
import socket
import socketserver
import ssl
import sys
import threading


class Page(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        body = b"hello from the live test\n"
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("Connection", "close")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args):
        pass


class HelloSink(socketserver.BaseRequestHandler):
    def handle(self):
        self.request.settimeout(2)
        try:
            self.request.recv(65536)
        except OSError:
            pass


def serve(addr):
    socketserver.ThreadingTCPServer.allow_reuse_address = True
    http_srv = http.server.ThreadingHTTPServer((addr, 8080), Page)
    tls_srv = socketserver.ThreadingTCPServer((addr, 8443), HelloSink)
    threading.Thread(target=tls_srv.serve_forever, daemon=True).start()
    print("ready", flush=True)
    http_srv.serve_forever()


def client(addr, n):
    for i in range(n):
        with socket.create_connection((addr, 8080), timeout=5) as s:
            s.sendall(f"GET /page{i} HTTP/1.1\r\nHost: {addr}\r\nConnection: close\r\n\r\n".encode())
            while s.recv(65536):
                pass
    ctx = ssl.create_default_context()
    ctx.check_hostname = False
    ctx.verify_mode = ssl.CERT_NONE
    for i in range(n):
        with socket.create_connection((addr, 8443), timeout=5) as raw:
            try:
                with ctx.wrap_socket(raw, server_hostname=f"live-{i}.example"):
                    pass
            except (OSError, ssl.SSLError):
                pass  # the listener closes after the ClientHello


if __name__ == "__main__":
    if sys.argv[1] == "serve":
        serve(sys.argv[2])
    else:
        client(sys.argv[2], int(sys.argv[3]))
