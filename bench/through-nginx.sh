#!/usr/bin/env bash
# Runs fake-lambda with the extension delivering over HTTPS (certificate verification on) to a
# real nginx on loopback, which proxies to fake-lambda's recording sink. nginx brings its own
# keep-alive limit (a connection closes after 100 requests), a body-size limit (413 past 1 MiB)
# and answers 502 while the sink is down.
#
#   bench/through-nginx.sh FORWARDER FAKE_LAMBDA [fake-lambda options...]
#   e.g. bench/through-nginx.sh build/layer-x86_64/src/telemetry-forwarder \
#          build/release/src/fake-lambda --invocations 1000 --lines 20 --sink-down 200-600 \
#          --sink-fail-rate 0.1 --report /tmp/nginx-report.json
set -euo pipefail
forwarder=$1 fake_lambda=$2
shift 2
nginx=${NGINX:-/usr/sbin/nginx}
[ -x "$nginx" ] || { echo "nginx not found at $nginx (apt-get install nginx-light)" >&2; exit 1; }

work=$(mktemp -d)
trap 'kill -QUIT $(cat "$work/nginx.pid" 2>/dev/null) 2>/dev/null || true; [ -n "${KEEP:-}" ] && echo "kept $work" >&2 || rm -rf "$work"' EXIT
free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
https_port=$(free_port)
sink_port=$(free_port)

# A CA made for this run, and a certificate for localhost signed by it.
openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj /CN=ltf-bench-ca \
  -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -newkey rsa:2048 -nodes -subj /CN=localhost \
  -keyout "$work/server.key" -out "$work/server.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$work/san.ext"
openssl x509 -req -in "$work/server.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 2 -extfile "$work/san.ext" -out "$work/server.pem" 2>/dev/null

cat > "$work/nginx.conf" <<CONF
error_log $work/error.log warn;
pid $work/nginx.pid;
events { worker_connections 256; }
http {
  client_body_temp_path $work/body; proxy_temp_path $work/proxy;
  fastcgi_temp_path $work/fastcgi; uwsgi_temp_path $work/uwsgi; scgi_temp_path $work/scgi;
  access_log off;
  server {
    listen 127.0.0.1:$https_port ssl;
    server_name localhost;
    ssl_certificate $work/server.pem;
    ssl_certificate_key $work/server.key;
    keepalive_requests 100;
    keepalive_timeout 10s;
    client_max_body_size 1m;
    location / { proxy_pass http://127.0.0.1:$sink_port; }
  }
}
CONF
# One process, in the foreground of a background job: as root, a master would hand requests to
# workers running as nobody, who could not write their temp files in this private directory.
"$nginx" -p "$work" -e "$work/error.log" -c "$work/nginx.conf" -g 'daemon off; master_process off;' &
for _ in $(seq 100); do
  (exec 3<>"/dev/tcp/127.0.0.1/$https_port") 2>/dev/null && break
  sleep 0.05
done

spill=$work/spill
"$fake_lambda" --extension "$forwarder" --sink --sink-port "$sink_port" \
  --env DISPATCH_POST_URI="https://localhost:$https_port/ingest" \
  --env LTF_CA_FILE="$work/ca.pem" --env LTF_SPILL_DIR="$spill" "$@"
