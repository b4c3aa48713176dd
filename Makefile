# The two commands of the README: `make run` and `make test`. Everything else is a step of those.
SHELL := /bin/bash
PORT ?= 8080
export PATH := /opt/swift/usr/bin:$(PATH)

.PHONY: setup build build-debug migrate run test test-unit test-e2e bench bench-history clean

setup:
	./scripts/setup.sh

# Release binaries carry the Swift runtime and Foundation (--static-swift-stdlib): a server needs only
# libc, libsqlite3 and libfcgi, and a cold CGI request skips most of the dynamic loader's work.
build: setup
	swift build -c release --static-swift-stdlib

build-debug: setup
	swift build --build-tests

migrate: build
	.build/release/gomoku-fcgi migrate

run: migrate
	PORT=$(PORT) ./scripts/run.sh

test: build-debug
	$(MAKE) --no-print-directory test-unit test-e2e

test-unit:
	swift test --skip-build

test-e2e:
	GOMOKU_BIN=$(CURDIR)/.build/debug/gomoku-fcgi .venv/bin/python -m pytest Tests/EndToEnd -q -p no:cacheprovider

bench: build
	./scripts/bench.sh

# The headline figures of every run kept in bench/results/, oldest first.
bench-history:
	python3 bench/history.py

clean:
	rm -rf .build run
