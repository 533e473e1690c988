# Purse: two commands.
#   make run    installs what is missing, builds the web app and the server, and starts Purse
#               on SQLite with demo data at http://127.0.0.1:8080
#   make test   every suite: unit, ledger model/concurrency/crash, server API (SQLite, and
#               PostgreSQL when DATABASE_URL is set), clippy, wasm tests and an end-to-end
#               journey in headless Chromium
# and a few more: make setup, make bench, make lint (rustfmt and clippy), make audit.

SHELL := /bin/bash
.SHELLFLAGS := -euo pipefail -c
# wasm-opt comes from npm (scripts/setup.sh puts it in ~/.cache/purse-tools).
export PATH := $(HOME)/.cache/purse-tools/node_modules/.bin:$(HOME)/.cargo/bin:$(PATH)
CHROMEDRIVER ?= /usr/bin/chromedriver
export CHROMEDRIVER

.PHONY: setup run test test-native test-browser lint bench audit web web-release clean

setup:
	@scripts/setup.sh

# The web app for the browser test, in a folder of its own (dist-test/), so `make test` never
# rebuilds the dist/ a running `make run` serves.
WEB_TEST_DIST := $(CURDIR)/dist-test
export PURSE_WEB_TEST_DIST := $(WEB_TEST_DIST)

web: setup
	trunk build --offline --dist $(WEB_TEST_DIST)

# The `web` cargo profile optimizes the wasm for size (see Cargo.toml); wasm-opt runs too.
web-release: setup
	trunk build --release --offline --cargo-profile web

run: web-release
	cargo run --release -p purse-server -- serve --demo

lint:
	cargo fmt --all --check
	cargo clippy --workspace --all-targets -- -D warnings
	cargo clippy -p purse-web --target wasm32-unknown-unknown --all-targets -- -D warnings

test-native:
	@if [ -n "$${DATABASE_URL:-}" ]; then echo "test: SQLite and PostgreSQL ($${DATABASE_URL%%@*}@…)"; \
	 else echo "test: SQLite only (set DATABASE_URL=postgres://… to add PostgreSQL)"; fi
	cargo test --workspace

test-browser: web
	cargo test -p purse-web --target wasm32-unknown-unknown
	cargo test -p purse-server --features browser-tests --test browser

test: setup lint test-native test-browser
	@echo "make test: every suite passed"

bench: web-release
	cargo bench -p purse-server --bench embed_size
	cargo bench -p purse-server --bench first_paint
	cargo bench -p purse-ledger --bench ledger
	cargo bench -p purse-server --bench wallet
	cargo bench -p purse-server --bench transfers
	cargo bench -p purse-server --bench checkout

audit:
	cargo run --release -p purse-server -- audit

clean:
	cargo clean
	rm -rf dist dist-test
