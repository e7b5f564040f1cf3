#!/usr/bin/env bash
# Builds the data plane's module (ansinh_pass/: the gateway's passes in nginx's shared memory) for the nginx on this
# machine, from Debian's nginx-dev package (nginx's headers and build system, with the flags Debian built nginx with,
# so that the module loads into Debian's nginx). Usage: build-module.sh OUTPUT_DIRECTORY
# Needs: nginx, nginx-dev, gcc, make, libpcre2-dev, libssl-dev, zlib1g-dev (Debian packages). Used by the test suite
# and the benchmarks (gateway/nginx.py: ensure_module) and by deploy/nginx/Dockerfile.
set -euo pipefail
out="${1:?usage: build-module.sh OUTPUT_DIRECTORY}"
here="$(cd "$(dirname "$0")" && pwd)"
src=/usr/share/nginx/src
if [ ! -f "$src/conf_flags" ]; then
    echo "build-module.sh: $src/conf_flags is missing: install Debian's nginx-dev (apt-get install nginx-dev)" >&2
    exit 2
fi
binary="$(command -v nginx || echo /usr/sbin/nginx)"
headers="$(sed -n 's/^#define NGINX_VERSION *"\(.*\)"/\1/p' "$src/src/core/nginx.h")"
running="$("$binary" -v 2>&1 | sed -n 's|.*nginx/\([0-9.]*\).*|\1|p')"
if [ "$headers" != "$running" ]; then
    echo "build-module.sh: nginx-dev is for nginx $headers but this nginx is $running: install the same version" >&2
    exit 2
fi
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
cp -r "$src"/. "$work"/
# shellcheck disable=SC1091
. "$src/conf_flags"  # NGX_CONF_FLAGS: Debian's configure arguments
cd "$work"
./configure "${NGX_CONF_FLAGS[@]}" --with-cc-opt="-O2 -fPIC -fstack-protector-strong -D_FORTIFY_SOURCE=2" \
    --with-ld-opt="-Wl,-z,relro -Wl,-z,now -fPIC" --add-dynamic-module="$here/ansinh_pass" > configure.log 2>&1 \
    || { tail -20 configure.log >&2; exit 1; }
make -f objs/Makefile modules > make.log 2>&1 || { tail -40 make.log >&2; exit 1; }
# nginx itself says whether it accepts the module (version and build signature) and its directives.
printf 'load_module %s;\nerror_log stderr;\nevents {}\nhttp { ansinh_pass_zone 1m $http_authorization "$uri"; }\n' \
    "$work/objs/ngx_http_ansinh_pass_module.so" > smoke.conf
"$binary" -t -q -p "$work" -c "$work/smoke.conf" || { echo "build-module.sh: nginx refused the module" >&2; exit 1; }
mkdir -p "$out"
# Copied under a name of this build's own, then renamed: a build beside it never sees a half-written module.
cp objs/ngx_http_ansinh_pass_module.so "$out/.ngx_http_ansinh_pass_module.so.$$"
mv "$out/.ngx_http_ansinh_pass_module.so.$$" "$out/ngx_http_ansinh_pass_module.so"
