#!/usr/bin/env python3
"""TLS terminator for the empty-root test: accepts TLS on 127.0.0.1 (certificate and key given),
forwards the plain bytes to 127.0.0.1:<port read from UPSTREAM_FILE at each connection>.

usage: tls_proxy.py CERT KEY PORT_FILE UPSTREAM_FILE
Writes the port it listens on to PORT_FILE, then serves until killed.
"""
import socket
import ssl
import sys
import threading


def pump(src, dst):
    try:
        while True:
            data = src.recv(65536)
            if not data:
                break
            dst.sendall(data)
    except OSError:
        pass
    finally:
        for s in (src, dst):
            try:
                s.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass


def serve(conn, context, upstream_file):
    try:
        tls = context.wrap_socket(conn, server_side=True)
    except (ssl.SSLError, OSError) as e:
        print(f"tls_proxy: handshake failed: {e}", file=sys.stderr, flush=True)
        conn.close()
        return
    with open(upstream_file) as f:
        port = int(f.read().strip())
    plain = socket.create_connection(("127.0.0.1", port))
    back = threading.Thread(target=pump, args=(plain, tls), daemon=True)
    back.start()
    pump(tls, plain)
    back.join()
    tls.close()
    plain.close()


def main():
    cert, key, port_file, upstream_file = sys.argv[1:5]
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert, key)
    listener = socket.socket()
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    with open(port_file + ".tmp", "w") as f:
        f.write(str(listener.getsockname()[1]))
    import os
    os.rename(port_file + ".tmp", port_file)
    while True:
        conn, _ = listener.accept()
        threading.Thread(target=serve, args=(conn, context, upstream_file), daemon=True).start()


if __name__ == "__main__":
    main()
