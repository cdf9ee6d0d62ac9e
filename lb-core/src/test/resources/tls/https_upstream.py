"""A small HTTPS upstream for Kodiak's tests (Python's ssl, a real TLS peer).

Usage: https_upstream.py CERT KEY [CLIENT_CA]
Binds 127.0.0.1:0, prints "PORT <n>" once listening. With CLIENT_CA, a client certificate
signed by it is required. Every response says, in headers, what the connection looked like:
  X-Peer-Port   the client's port (one value per upstream connection: shows reuse)
  X-SNI         the server name the client sent, or "-"
  X-Client-CN   the client certificate's common name, or "-"
  X-Protocol    the TLS version
  X-Resumed     "yes" if the TLS session was resumed, else "no"
GET /health answers 200 "ok"; any other GET answers 200 with the path as the body.
"""
import http.server
import socketserver
import ssl
import sys


class Handler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so Kodiak can pool the connection

    def do_GET(self):
        body = b"ok" if self.path == "/health" else self.path.encode()
        conn = self.connection
        cert = conn.getpeercert()
        cn = "-"
        if cert:
            for rdn in cert.get("subject", ()):
                for key, value in rdn:
                    if key == "commonName":
                        cn = value
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Peer-Port", str(self.client_address[1]))
        self.send_header("X-SNI", getattr(conn, "kodiak_sni", None) or "-")
        self.send_header("X-Client-CN", cn)
        self.send_header("X-Protocol", conn.version() or "-")
        self.send_header("X-Resumed", "yes" if conn.session_reused else "no")
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, fmt, *args):
        sys.stderr.write("%s %s\n" % (self.address_string(), fmt % args))


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, context):
        super().__init__(("127.0.0.1", 0), Handler, bind_and_activate=True)
        self.context = context

    def get_request(self):
        sock, addr = self.socket.accept()
        # The handshake runs in the request's thread, so a client that fails it stalls no one.
        return self.context.wrap_socket(sock, server_side=True, do_handshake_on_connect=False), addr

    def process_request_thread(self, request, client_address):
        try:
            request.do_handshake()
        except (ssl.SSLError, OSError) as e:
            sys.stderr.write("handshake failed: %s\n" % e)
            self.shutdown_request(request)
            return
        super().process_request_thread(request, client_address)


def main():
    cert, key = sys.argv[1], sys.argv[2]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    if len(sys.argv) > 3:
        context.verify_mode = ssl.CERT_REQUIRED
        context.load_verify_locations(sys.argv[3])

    def remember_sni(sock, name, ctx):
        sock.kodiak_sni = name

    context.sni_callback = remember_sni
    server = Server(context)
    print("PORT %d" % server.server_address[1], flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
