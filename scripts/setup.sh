#!/usr/bin/env bash
# Installs what building, running and testing need on a fresh Debian 12 machine (as root), idempotently:
# Debian packages, a Python virtualenv for the tests, and htmx + its ws extension from the pinned
# django-htmx wheel (sha256-checked) and KaTeX (Debian's libjs-katex) into static/vendor/.
set -euo pipefail
cd "$(dirname "$0")/.."

DEBIAN_PACKAGES=(libfcgi-dev libfcgi-bin libsqlite3-dev libssl-dev zlib1g-dev nginx lighttpd spawn-fcgi tmux
                 chromium chromium-driver wrk unzip python3-venv curl libjs-katex
                 libcurl4-openssl-dev gcc)
missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q "install ok installed" || missing+=("$package")
done
if [ ${#missing[@]} -gt 0 ]; then
    echo "setup: installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update -qq
    apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

PYTHON=${PYTHON:-python3}
if [ ! -x .venv/bin/python ] || ! .venv/bin/python -c 'import pytest, selenium, websockets, requests, kosoku, schemathesis' 2>/dev/null; then
    echo "setup: creating .venv with the test tools"
    "$PYTHON" -m venv .venv
    .venv/bin/pip install -q --disable-pip-version-check -r Tests/EndToEnd/requirements.txt
fi

HTMX_WHEEL=django_htmx-1.29.0-py3-none-any.whl
HTMX_SHA256=0ec5be1645ed71e6787bd75e0250624f00274ac3bb1730f07b6629a95688929b
if [ ! -f static/vendor/htmx.min.js ] || [ ! -f static/vendor/ext/ws.min.js ]; then
    echo "setup: fetching htmx 2.0.10 and htmx-ext-ws 2.0.4 from the django-htmx 1.29.0 wheel"
    cache=var/cache/wheels
    mkdir -p "$cache" static/vendor/ext
    if [ ! -f "$cache/$HTMX_WHEEL" ]; then
        .venv/bin/pip download -q --disable-pip-version-check --no-deps --only-binary=:all: -d "$cache" django-htmx==1.29.0
    fi
    echo "$HTMX_SHA256  $cache/$HTMX_WHEEL" | sha256sum --check --quiet
    tmp=$(mktemp -d)
    unzip -q -o "$cache/$HTMX_WHEEL" 'django_htmx/static/django_htmx/*' -d "$tmp"
    cp "$tmp/django_htmx/static/django_htmx/htmx-2.min.js" static/vendor/htmx.min.js
    cp "$tmp/django_htmx/static/django_htmx/ext/hx-ws-2.min.js" static/vendor/ext/ws.min.js
    rm -rf "$tmp"
    grep -q '2.0.10' static/vendor/htmx.min.js || { echo "setup: unexpected htmx version" >&2; exit 1; }
fi
# KaTeX for the lessons' math, from Debian's libjs-katex (fonts dereferenced: they are links into fonts-katex).
if [ ! -f static/vendor/katex/katex.min.js ] || [ ! -f static/vendor/katex/contrib/auto-render.js ]; then
    echo "setup: copying KaTeX from libjs-katex"
    rm -rf static/vendor/katex
    mkdir -p static/vendor
    cp -rL /usr/share/javascript/katex static/vendor/katex
fi
echo "setup: ok"
