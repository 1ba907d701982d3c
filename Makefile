# The two commands of the README: `make run` and `make test`.
SWIFT ?= swift
CONFIG ?= release
BIN = .build/$(CONFIG)/sparrow
PORT ?= 8080
DATA ?= ./data

.PHONY: run test build deps test-deps swift-test python-test proto

run: deps build
	$(BIN) serve --port $(PORT) --data-dir $(DATA)

test: test-deps build swift-test python-test

deps:
	scripts/install-deps.sh

test-deps:
	scripts/install-deps.sh --test
	scripts/python-venv.sh

build:
	$(SWIFT) build -c $(CONFIG) --product sparrow

swift-test:
	$(SWIFT) test -c $(CONFIG) --disable-testable-imports

python-test:
	SPARROW_BIN=$(abspath $(BIN)) .venv/bin/python -m pytest -q Tests/python

# Regenerates Sources/SparrowModel/ONNX/*.pb.swift (needs protoc and protoc-gen-swift).
proto:
	scripts/generate-onnx-proto.sh
