# Quill — the two commands a new user needs:
#   make demo   fetch the default models if missing, build release, run the demo on the sample creator
#   make test   fetch the default models if missing, run the whole test suite
SHELL := /bin/bash
CARGO ?= cargo
DEMO_DIR ?= target/demo-workspace

.PHONY: demo test models build lint fmt bench

models:
	scripts/fetch-models.sh

build:
	$(CARGO) build --release --locked -p quill-cli

demo: models build
	scripts/demo.sh "$(DEMO_DIR)"

test: models
	scripts/test.sh

lint:
	$(CARGO) fmt --all -- --check
	$(CARGO) clippy --workspace --all-targets --locked -- -D warnings

fmt:
	$(CARGO) fmt --all
