# certkiosk — the commands a newcomer runs. `make demo` and `make test` work on a bare Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

APT_PACKAGES := softhsm2 opensc socat chromium fonts-noto-cjk libengine-pkcs11-openssl openssl ca-certificates
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export NO_COLOR ?= 1

.PHONY: help setup apt-deps node-deps build typecheck lint format unit test e2e bench demo central clean

help:
	@echo "make demo   run the kiosk with emulated devices and the reference central service"
	@echo "make test   typecheck + lint + every test suite (installs what is missing first)"
	@echo "make e2e    end-to-end tests in Debian's Chromium"
	@echo "make bench  benchmarks; prints a table and writes bench-results.json"

## setup: idempotent — installs only the Debian packages that are missing, then npm ci when the lock changed.
setup: apt-deps node-deps build

apt-deps:
	@missing=""; for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'install ok installed' || missing="$$missing $$p"; \
	done; \
	if [ -n "$$missing" ]; then \
	  echo "setup: installing Debian packages:$$missing"; \
	  $(SUDO) apt-get update -qq && DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing; \
	else echo "setup: Debian packages present"; fi

node-deps: node_modules/.package-lock.json

node_modules/.package-lock.json: package-lock.json package.json */package.json
	npm ci --no-audit --no-fund
	@touch $@

SIM_MODULE := firmware-bridge/dist/native/libcertkiosk-usbkey-sim.so
BINS := config/dist/cli.js firmware-bridge/dist/cli/token.js firmware-bridge/dist/cli/devices.js sync/dist/cli/central.js \
  appliance/dist/audit/cli.js appliance/dist/cli/appliance.js appliance/dist/cli/demo.js

build: node-deps $(SIM_MODULE)
	npx tsc -b
	npm run build -w @certkiosk/kiosk-ui
	@chmod +x $(BINS)

# The USB-key simulator: SoftHSM2 plus the PIN lockout real keys have (see firmware-bridge/native/).
$(SIM_MODULE): firmware-bridge/native/usbkey-sim.c
	@mkdir -p $(dir $@)
	cc -O2 -Wall -shared -fPIC -Inode_modules/pkcs11js/includes -o $@ $< -ldl

typecheck: build

lint: node-deps
	npx biome check .
	npm run check -w @certkiosk/kiosk-ui

format: node-deps
	npx biome check --write .

unit: build
	@mkdir -p test-results
	@set -o pipefail; npx vitest run --reporter=default --reporter=json --outputFile.json=test-results/vitest.json; \
	  status=$$?; node .ci/summarize.mjs test-results/vitest.json; exit $$status

# Everything CI runs: typecheck (in build), lint, the vitest suites, then the browser suite; one closing line.
test: setup lint
	@rm -f test-results/vitest.json test-results/playwright.json test-results/playwright-real.json; status=0; \
	  $(MAKE) --no-print-directory unit || status=1; \
	  npm run test:e2e -w @certkiosk/kiosk-ui || status=1; \
	  npm run test:e2e:real -w @certkiosk/kiosk-ui || status=1; \
	  node .ci/summarize.mjs test-results/vitest.json test-results/playwright.json test-results/playwright-real.json; exit $$status

e2e: setup
	npm run test:e2e -w @certkiosk/kiosk-ui
	npm run test:e2e:real -w @certkiosk/kiosk-ui

bench: setup
	node firmware-bridge/dist/bench/token.bench.js
	node sync/dist/bench/outbox.bench.js
	node appliance/dist/bench/store.bench.js
	node appliance/dist/bench/journey.bench.js

# The reference central service alone, seeded with demo orders (pickup key = the sim profile's).
central: setup
	node sync/dist/cli/central.js --port 7410 --data .demo/central --pickup-key sync/fixtures/sim-pickup-signing.key.pem \
	  --admin-token dev --seed-demo --auto-approve-appliances

# make demo DEMO_ARGS=--reset starts from an empty central, SoftHSM and kiosk store.
demo: setup
	node appliance/dist/cli/demo.js $(DEMO_ARGS)

clean:
	rm -rf node_modules */node_modules */dist test-results bench-results.json
	find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete
