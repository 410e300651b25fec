# Sourced by scripts/perf_compare.sh and scripts/hot_sections.sh: fake-lambda's recording sink
# reached over https, through a TLS terminator (test/layer/tls_proxy.py) with a certificate for
# localhost made here, which the extension trusts through LTF_CA_FILE.
#
#   https_sink_start DIR   makes DIR/tls.crt and DIR/tls.key, starts the terminator (its pid in
#                          https_sink_pid; the caller kills it), which forwards each connection
#                          to the port in DIR/upstream
#   https_sink_args DIR    picks a port for the sink, writes it to DIR/upstream and sets the
#                          array https_sink_args: the fake-lambda arguments that go with --sink
https_sink_start() {
  local dir="$1"
  openssl req -x509 -newkey rsa:2048 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost" -keyout "$dir/tls.key" -out "$dir/tls.crt" 2>/dev/null
  python3 "$(dirname "${BASH_SOURCE[0]}")/../test/layer/tls_proxy.py" \
    "$dir/tls.crt" "$dir/tls.key" "$dir/proxy-port" "$dir/upstream" &
  https_sink_pid=$!
  for _ in $(seq 100); do [ -s "$dir/proxy-port" ] && return 0; sleep 0.05; done
  echo "https_sink: the TLS terminator did not start" >&2
  return 1
}

https_sink_args() {
  local dir="$1" port
  port="$(python3 -c 'import socket; s = socket.socket(); s.bind(("", 0)); print(s.getsockname()[1])')"
  echo "$port" > "$dir/upstream"
  # shellcheck disable=SC2034  # read by the caller
  https_sink_args=(--sink-port "$port" --env "LTF_CA_FILE=$dir/tls.crt"
                   --env "DISPATCH_POST_URI=https://localhost:$(cat "$dir/proxy-port")/")
}
