# certkiosk — the commands a newcomer runs. `make demo` and `make test` work on a bare Debian machine.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Every Debian package the project needs, system libraries the native addons load included (node-hid's prebuilt
# binding links libusb-1.0.so.0). `make doctor` checks this same list; ../shared/hooks/native-deps-check finds
# what a new native addon adds. espeak-ng and sox make the kiosk UI's spoken prompts at build time
# (kiosk-ui/scripts/make-voice.mjs); its tests measure them with sox. Central embeds fonts-noto-cjk in invoice
# PDFs; poppler-utils' pdftotext reads them back in its tests. postgresql: central's PostgreSQL store (make
# central-pg, the PostgreSQL test pass) on a private cluster (scripts/pg-cluster.mjs).
APT_PACKAGES := softhsm2 opensc socat chromium fonts-noto-cjk libengine-pkcs11-openssl openssl ca-certificates \
  libusb-1.0-0 espeak-ng sox poppler-utils postgresql
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
export NO_COLOR ?= 1

.PHONY: help setup doctor print-apt-packages apt-deps node-deps build typecheck lint format unit unit-pg test e2e bench \
  fault demo central central-pg pg-stop clean fleet-load

help:
	@echo "make demo   run the kiosk with emulated devices and the reference central service"
	@echo "make test   typecheck + lint + every test suite (installs what is missing first)"
	@echo "make e2e    end-to-end tests in Debian's Chromium"
	@echo "make bench  benchmarks; prints a table and writes bench-results.json"
	@echo "make fleet-load  simulated kiosks against central until heartbeat p99 > 100 ms; bench-results.json"
	@echo "make central-pg  the reference central service on a private PostgreSQL cluster (.pg/)"
	@echo "make fault  300 runs of kill -9 at a random moment of a pickup; prints the tally"
	@echo "make doctor checks this machine: Debian packages, native addons, tools, linked bins"

## setup: idempotent — installs only the Debian packages that are missing, then npm ci when the lock changed;
## ends with the doctor, so a machine that cannot run the project fails here, with the fix printed.
setup: apt-deps node-deps build
	@$(DOCTOR)

DOCTOR := node scripts/doctor.mjs $(APT_PACKAGES)

# Checks, fixes nothing: one line per problem with its fix, or "doctor: ok (N checks)".
doctor:
	@$(DOCTOR)

print-apt-packages:
	@echo $(APT_PACKAGES)

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
# The workspaces' bins: committed shims (*/bin/certkiosk-*.js) that run the built CLIs in dist/. They exist
# when npm ci runs, before the build, so npm links every one of them into node_modules/.bin.
BINS := $(wildcard */bin/certkiosk-*.js)

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

# The PostgreSQL pass: central's suite again (and the *.pg.test.ts, two central processes on one database) against
# a private cluster (scripts/pg-cluster.mjs: Debian's postgresql, initdb into .pg/, pg_ctl on 127.0.0.1:$(PG_PORT)),
# a fresh database each time; the cluster is stopped after.
# Its own cluster (.pg/test, port PG_TEST_PORT), so a running make central-pg is left alone.
PG_PORT ?= 54330
PG_TEST_PORT ?= 54331
PG_CLUSTER := node scripts/pg-cluster.mjs
# Kiosk suites whose central (in the test process) then runs on PostgreSQL too: a pickup, central's faults, the
# kill -9 crash points, maintenance, privacy, the receipt QR, the blank-key stock, and the after-sales services
# (activation, unlock, look-up, renewal, reissue, invoices, payment at the kiosk, reconciliation, a pulled key),
# which read central's rows through its own store (testing/central-rows.ts).
PG_APPLIANCE_SUITES := $(addprefix appliance/src/,pickup central-faults fault-injection maintenance privacy \
  receipt-qr blank-key-stock after-sales after-sales-faults invoice invoice-services lookup-payment reconciliation \
  reissue renew renew-faults renew-payment token-pulled)
unit-pg: build
	@mkdir -p test-results
	@url=$$($(PG_CLUSTER) start --name test --port $(PG_TEST_PORT) --db certkiosk_test --fresh) || exit 1; \
	  set -o pipefail; CENTRAL_TEST_DATABASE=$$url npx vitest run sync/src/central \
	    $(addsuffix .softhsm.test.ts,$(PG_APPLIANCE_SUITES)) \
	    --reporter=default --reporter=json --outputFile.json=test-results/vitest-pg.json; \
	  status=$$?; $(PG_CLUSTER) stop --name test; node .ci/summarize.mjs test-results/vitest-pg.json; exit $$status

# Everything CI runs: typecheck (in build), lint, the vitest suites (SQLite, then central's on PostgreSQL), then the
# browser suite; one closing line.
test: setup lint
	@rm -f test-results/vitest.json test-results/vitest-pg.json test-results/playwright.json test-results/playwright-real.json test-results/playwright-ops.json; status=0; \
	  $(MAKE) --no-print-directory unit || status=1; \
	  $(MAKE) --no-print-directory unit-pg || status=1; \
	  npm run test:e2e -w @certkiosk/kiosk-ui || status=1; \
	  npm run test:e2e:real -w @certkiosk/kiosk-ui || status=1; \
	  npm run test:e2e:ops -w @certkiosk/kiosk-ui || status=1; \
	  node .ci/summarize.mjs test-results/vitest.json test-results/vitest-pg.json test-results/playwright.json test-results/playwright-real.json test-results/playwright-ops.json; exit $$status

e2e: setup
	npm run test:e2e -w @certkiosk/kiosk-ui
	npm run test:e2e:real -w @certkiosk/kiosk-ui
	npm run test:e2e:ops -w @certkiosk/kiosk-ui

bench: setup
	node firmware-bridge/dist/bench/token.bench.js
	node sync/dist/bench/outbox.bench.js
	node appliance/dist/bench/store.bench.js
	node appliance/dist/bench/journey.bench.js
	npx tsc -p kiosk-ui/bench/tsconfig.json
	node kiosk-ui/bench/dist/kiosk-ui/bench/ui.bench.js
	node appliance/dist/bench/soak.bench.js
	$(FLEET_LOAD)

# Fleet load (issue 15): kiosks with their own enrolled keys, signed heartbeats every 30 s spread evenly and
# ~20 pickups a day each, against certkiosk-central on loopback; the fleet grows through a ramp until the heartbeat
# p99 passes 100 ms or errors appear (at most 16 minutes a store, enrolment and session openings included). Records fleet.<store>.* for each of FLEET_STORES:
#   sqlite  one central on its embedded SQLite
#   pg      one central on PostgreSQL (a private cluster .pg/fleet on FLEET_PG_PORT, fsync on as in production)
#   pg2     two central processes on that PostgreSQL, kiosk i sent to central i mod 2
# `sync` first: the build's and initdb's writes reach the disk before the first step, not during its commits.
# FLEET_ARGS passes options (--help lists them), e.g. FLEET_ARGS="--ramp 500,1000 --cap-min 3 --no-record".
FLEET_STORES ?= sqlite pg pg2
FLEET_PG_PORT ?= 54332
FLEET_BENCH = node sync/dist/bench/fleet-load.bench.js
FLEET_PG_START = node scripts/pg-cluster.mjs start --name fleet --port $(FLEET_PG_PORT) --db certkiosk_fleet --fresh --durable
define FLEET_LOAD
@for s in $(FLEET_STORES); do \
  case $$s in \
    sqlite) sync; $(FLEET_BENCH) --store sqlite $(FLEET_ARGS) || exit 1 ;; \
    pg|pg2) url=$$($(FLEET_PG_START)) || exit 1; sync; \
      if [ $$s = pg ]; then n=1; else n=2; fi; \
      $(FLEET_BENCH) --store $$s --centrals $$n --central-arg=--database=$$url $(FLEET_ARGS); rc=$$?; \
      node scripts/pg-cluster.mjs stop --name fleet; [ $$rc = 0 ] || exit $$rc ;; \
    *) echo "FLEET_STORES takes sqlite, pg and pg2, not $$s"; exit 2 ;; \
  esac; \
done
endef
fleet-load: setup
	$(FLEET_LOAD)

# kill -9 from outside at random moments of a pickup, FAULT_RUNS times (make test runs 20); prints the tally.
FAULT_RUNS ?= 300
fault: setup
	@mkdir -p test-results
	CERTKIOSK_RANDOM_FAULT_RUNS=$(FAULT_RUNS) npx vitest run appliance/src/fault-random.softhsm.test.ts
	@cat test-results/fault-tally.json

# The reference central service alone, seeded with demo orders (pickup key = the sim profile's).
central: setup
	node sync/dist/cli/central.js --port 7410 --data .demo/central --pickup-key sync/fixtures/sim-pickup-signing.key.pem \
	  --admin-token dev --seed-demo --auto-approve-appliances

# The same on PostgreSQL: a private cluster in .pg/ (started when not running; make pg-stop stops it), central's
# store in its database `certkiosk`, the keys in .demo/central-pg.
central-pg: setup
	@url=$$($(PG_CLUSTER) start --port $(PG_PORT)) || exit 1; \
	  node sync/dist/cli/central.js --port 7410 --data .demo/central-pg --database "$$url" \
	    --pickup-key sync/fixtures/sim-pickup-signing.key.pem --admin-token dev --seed-demo --auto-approve-appliances

pg-stop:
	$(PG_CLUSTER) stop
	$(PG_CLUSTER) stop --name test

# make demo DEMO_ARGS=--reset starts from an empty central, SoftHSM and kiosk store.
demo: setup
	node appliance/dist/cli/demo.js $(DEMO_ARGS)

clean:
	-$(PG_CLUSTER) stop 2>/dev/null; $(PG_CLUSTER) stop --name test 2>/dev/null
	rm -rf node_modules */node_modules */dist kiosk-ui/bench/dist test-results bench-results.json .pg
	find . -name '*.tsbuildinfo' -not -path './node_modules/*' -delete
