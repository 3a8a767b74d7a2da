# Banli — build, test, demo and install. `make test` on a fresh Debian machine (as root) installs
# the missing system packages first.
SWIFT   ?= swift
PREFIX  ?= /usr/local
DESTDIR ?=
DEBS    := libcurl4-openssl-dev libsqlite3-dev libssl-dev libzstd-dev zlib1g-dev
# Only the tests need these: a browser and CJK fonts (the status page is checked as rendered), openssl
# (the TLS test's CA), systemd (systemd-analyze verifies the units), Python with venv (schemathesis),
# faketime (bureaus whose clocks are off), lintian and binutils (the .deb is checked and its binary's libraries read),
# PostgreSQL (the tests start their own servers in temporary folders), nginx (the shipped front is run), curl, and
# prometheus (its promtool checks the shipped alerting rules and runs their unit tests).
TEST_DEBS := chromium chromium-driver fonts-wqy-zenhei openssl systemd python3 python3-venv faketime lintian binutils postgresql nginx curl \
	prometheus
# `make deb` needs dpkg-shlibdeps (the Depends line) and strip.
DEB_TOOLS := dpkg-dev binutils
# schemathesis (PyPI) checks the live hub against docs/openapi.yaml. It lives in a virtual environment
# under .build, made once; the stamp names the pinned version, so a new pin rebuilds it.
VENV := .build/venv
SCHEMATHESIS_VERSION := 4.32.5
# backports.zstd lets schemathesis's client (urllib3 2.8 on Python < 3.14) decode the zstd answers it asks for with the
# spec's Accept-Encoding; urllib3 is pinned with it, as the module it looks for has changed between its versions.
ZSTD_PY_VERSION := 1.8.0
URLLIB3_VERSION := 2.8.0
SCHEMATHESIS_STAMP := $(VENV)/schemathesis-$(SCHEMATHESIS_VERSION)-zstd-$(ZSTD_PY_VERSION)-urllib3-$(URLLIB3_VERSION).stamp
# aiosmtpd (PyPI), a real SMTP server for the deadline reminders' end-to-end test, in the same venv.
AIOSMTPD_VERSION := 1.4.6
AIOSMTPD_STAMP := $(VENV)/aiosmtpd-$(AIOSMTPD_VERSION).stamp
# Figure 9's peer (pycrdt, the Python binding of Yrs), in a venv of its own.
BENCH_VENV := .build/bench-venv
PYCRDT_VERSION := 0.14.13
PYCRDT_STAMP := $(BENCH_VENV)/pycrdt-$(PYCRDT_VERSION).stamp
# Where the tests find their tools. A test whose tool is missing fails and says how to get it.
TEST_TOOLS = BANLI_SCHEMATHESIS="$(CURDIR)/$(VENV)/bin/schemathesis" BANLI_AIOSMTPD="$(CURDIR)/$(VENV)/bin/aiosmtpd" \
	BANLI_CHROMIUM=/usr/bin/chromium BANLI_CHROMEDRIVER=/usr/bin/chromedriver \
	BANLI_OPENSSL=/usr/bin/openssl BANLI_SYSTEMD_ANALYZE=/usr/bin/systemd-analyze BANLI_FAKETIME=/usr/bin/faketime \
	BANLI_LINTIAN=/usr/bin/lintian BANLI_NGINX=/usr/sbin/nginx BANLI_PROMTOOL=/usr/bin/promtool BANLI_DEB="$(CURDIR)/$(DEB)"
# Release builds (in .build-release, so that one can run beside the debug build in .build) link the Swift runtime
# and Foundation statically: the installed binary needs only
# libc, libstdc++, libgcc_s, libcurl, libcrypto, libsqlite3, libzstd and libz on the server, and loads fewer pages at start-up. lld packs the
# 120,000 relative relocations (DT_RELR): 23 KB instead of 2.8 MB read at every start. No DWARF (symbols
# stay, so backtraces and perf still name functions): 10 % less compile time and half the binary.
# No exported symbols either (swiftc exports every symbol of an executable): the dynamic loader walked their 4 MB
# table at every start, 3 MB of an idle daemon's RSS; nothing loads code into banli that would look them up.
RELEASE := --scratch-path .build-release -c release --static-swift-stdlib -Xswiftc -gnone -Xcc -g0 \
	-Xswiftc -use-ld=lld -Xlinker -z -Xlinker pack-relative-relocs -Xlinker --no-export-dynamic

# The binary the package holds: the release build, or with DEB_CONFIG=debug (what `make test` packages) the debug
# build's own objects linked again with the Swift runtime and Foundation static (packaging/link-static): a link of
# seconds instead of a second compile. The package and its install are what DebPackageTests checks; the optimiser is
# what `make bench` runs.
DEB_CONFIG ?= release
DEB_BIN = $(if $(filter debug,$(DEB_CONFIG)),.build/deb-bin/banli,$$($(SWIFT) build $(RELEASE) --show-bin-path)/banli)

# The Debian package. Its version is banliVersion in the sources (the one place it is written) plus the
# packaging revision; packaging/deb/changelog's first entry must name the same version.
VERSION := $(shell grep -rhos 'let banliVersion = "[^"]*"' Sources | head -n 1 | cut -d '"' -f 2)
DEB_REVISION := 1
DEB_VERSION := $(VERSION)-$(DEB_REVISION)
DEB_ARCH := $(shell dpkg --print-architecture 2>/dev/null)
DEB := .build/banli_$(DEB_VERSION)_$(DEB_ARCH).deb
DEB_MAINTAINER := Banli maintainers <banli@example.gov.cn>
# Shipped as examples (/usr/share/doc/banli/examples): the nginx front, the Prometheus alerting rules, the Grafana dashboard.
EXAMPLES := config/nginx-banli-hub.conf config/banli-alerts.yml config/banli-grafana.json

.PHONY: deps test-deps test-tools apt build debug deb test chaos adversary fuzz bench demo install clean

deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(DEBS)"

test-deps:
	@$(MAKE) --no-print-directory apt PACKAGES="$(DEBS) $(TEST_DEBS) $(DEB_TOOLS)"

# Every tool the tests use: the Debian packages, then schemathesis and aiosmtpd in the venv.
test-tools: test-deps $(SCHEMATHESIS_STAMP) $(AIOSMTPD_STAMP)

$(SCHEMATHESIS_STAMP): | test-deps
	rm -rf $(VENV)
	/usr/bin/python3 -m venv $(VENV)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "schemathesis==$(SCHEMATHESIS_VERSION)" \
	  "backports.zstd==$(ZSTD_PY_VERSION)" "urllib3==$(URLLIB3_VERSION)"
	touch $@

# After schemathesis's stamp, which makes the venv anew.
$(AIOSMTPD_STAMP): $(SCHEMATHESIS_STAMP)
	$(VENV)/bin/pip install --quiet --disable-pip-version-check "aiosmtpd==$(AIOSMTPD_VERSION)"
	touch $@

$(PYCRDT_STAMP):
	@$(MAKE) --no-print-directory apt PACKAGES="python3 python3-venv"
	rm -rf $(BENCH_VENV)
	/usr/bin/python3 -m venv $(BENCH_VENV)
	$(BENCH_VENV)/bin/pip install --quiet --disable-pip-version-check "pycrdt==$(PYCRDT_VERSION)"
	touch $@

apt:
	@missing=""; for p in $(PACKAGES); do \
	  dpkg-query -W -f='$${Status}' $$p 2>/dev/null | grep -q 'ok installed' || missing="$$missing $$p"; done; \
	if [ -n "$$missing" ]; then \
	  if [ "$$(id -u)" = 0 ]; then apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq $$missing; \
	  else echo "banli: missing system packages:$$missing; run: sudo apt-get install$$missing" >&2; exit 1; fi; \
	fi

build: deps
	$(SWIFT) build $(RELEASE) --product banli

debug: deps
	$(SWIFT) build --product banli

# /usr/bin/banli stripped (lintian: unstripped-binary-or-object is an error; the unstripped binary stays in
# .build-release for symbolising a backtrace: the package has no symbol names left), the configs as conffiles (postinst gives them group banli),
# the units with ExecStart=/usr/bin/banli, and the Depends line dpkg-shlibdeps reads from the binary.
# gzip: 13 s for the 76 MB binary where xz takes minutes on 2 busy cores, for a 30 % larger file.
deb: deps
	$(if $(filter debug,$(DEB_CONFIG)),$(SWIFT) build --product banli && mkdir -p .build/deb-bin && python3 packaging/link-static $(DEB_BIN), \
	  $(SWIFT) build $(RELEASE) --product banli)
	@[ -n "$(VERSION)" ] || { echo "banli: no 'let banliVersion = \"…\"' in Sources; the package takes its version from there." >&2; exit 1; }
	@$(MAKE) --no-print-directory apt PACKAGES="$(DEB_TOOLS)"
	@top="$$(sed -n '1s/^banli (\([^)]*\)).*/\1/p' packaging/deb/changelog)"; [ "$$top" = "$(DEB_VERSION)" ] || { \
	  echo "banli: packaging/deb/changelog starts with $$top, but the package is $(DEB_VERSION); add an entry." >&2; exit 1; }
	rm -rf .build/deb && install -d -m 0755 .build/deb/root/DEBIAN .build/deb/src/debian
	set -e; R=.build/deb/root; \
	install -D -m 0755 "$(DEB_BIN)" $$R/usr/bin/banli; \
	strip --strip-unneeded --remove-section=.comment --remove-section=.note $$R/usr/bin/banli; \
	install -d -m 0755 $$R/etc/banli $$R/lib/systemd/system $$R/usr/share/doc/banli; \
	install -m 0640 config/*.toml $$R/etc/banli/; \
	for f in config/*.toml; do echo "/etc/banli/$${f#config/}"; done > $$R/DEBIAN/conffiles; \
	for u in systemd/*.service; do sed 's#/usr/local/bin/banli#/usr/bin/banli#g' $$u > $$R/lib/systemd/system/$${u#systemd/}; done; \
	chmod 0644 $$R/lib/systemd/system/*.service $$R/DEBIAN/conffiles; \
	install -m 0644 packaging/deb/copyright $$R/usr/share/doc/banli/copyright; \
	install -d -m 0755 $$R/usr/share/doc/banli/examples; \
	install -m 0644 $(EXAMPLES) $$R/usr/share/doc/banli/examples/; \
	gzip -9n -c packaging/deb/changelog > $$R/usr/share/doc/banli/changelog.Debian.gz; \
	chmod 0644 $$R/usr/share/doc/banli/changelog.Debian.gz; \
	install -m 0755 packaging/deb/postinst packaging/deb/prerm packaging/deb/postrm $$R/DEBIAN/; \
	printf 'Source: banli\n\nPackage: banli\nArchitecture: any\n' > .build/deb/src/debian/control; \
	depends="$$(cd .build/deb/src && dpkg-shlibdeps -O -e../root/usr/bin/banli | sed -n 's/^shlibs:Depends=//p')"; \
	[ -n "$$depends" ] || { echo "banli: dpkg-shlibdeps found no libraries for the Depends line." >&2; exit 1; }; \
	(cd $$R && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | LC_ALL=C sort -z | xargs -0 md5sum) > $$R/DEBIAN/md5sums; \
	chmod 0644 $$R/DEBIAN/md5sums; \
	sed -e 's#@VERSION@#$(DEB_VERSION)#' -e 's#@ARCH@#$(DEB_ARCH)#' -e 's#@MAINTAINER@#$(DEB_MAINTAINER)#' \
	  -e "s#@SIZE@#$$(du -sk --exclude=DEBIAN $$R | cut -f1)#" -e "s#@DEPENDS@#$$depends#" packaging/deb/control > $$R/DEBIAN/control; \
	dpkg-deb --root-owner-group -Zgzip --build $$R $(DEB)
	@echo "Built $(DEB). Install it on a Debian 12 server with: apt install ./$(notdir $(DEB))"

# One debug build, the package from it (DEB_CONFIG=debug, above; DebPackageTests installs it on this machine, which CI
# throws away), then one run of every test, suites one after another.
test: test-tools
	$(SWIFT) build --build-tests
	@$(MAKE) --no-print-directory deb DEB_CONFIG=debug > .build/deb-build.log 2>&1 || { tail -n 40 .build/deb-build.log; \
	  echo "banli: the .deb build failed (log: .build/deb-build.log)." >&2; exit 1; }
	@tail -n 1 .build/deb-build.log
	$(TEST_TOOLS) $(SWIFT) test --skip-build --disable-xctest --no-parallel

# A real hub and three bureau daemons in a temporary folder, replaying a year of handling.
# Fault injection: many rounds of kill -9 of syncs, daemons and the hub (the test suite runs 8).
chaos: test-tools
	$(SWIFT) build --build-tests
	$(TEST_TOOLS) BANLI_CHAOS_ROUNDS=$${ROUNDS:-60} $(SWIFT) test --skip-build --disable-xctest --filter ChaosTests

# A unit with a valid token sends seeded hostile pushes against a real hub while honest units write and
# sync; every round checks that no honest write is lost and nothing leaks (make test runs 120 rounds on a SQLite hub
# and 30 on a PostgreSQL hub; this runs 2,000 and 500).
adversary: test-tools
	$(SWIFT) build --build-tests
	$(TEST_TOOLS) BANLI_ADVERSARY_ROUNDS=$${ROUNDS:-2000} BANLI_ADVERSARY_SEED=$${SEED:-20261130} \
	  $(SWIFT) test --skip-build --disable-xctest --filter AdversaryTests

# Benchmarks (release build): prints the table and writes docs/performance.md. The PostgreSQL figures start their own
# server from Debian's postgresql package (initdb into a temporary folder, as the tests do).
bench: deps $(PYCRDT_STAMP)
	@$(MAKE) --no-print-directory apt PACKAGES="postgresql"
	$(SWIFT) build $(RELEASE) --product banli
	$(SWIFT) build $(RELEASE) --product banli-bench
	BANLI_BENCH_OUT=docs/performance.md BANLI_BENCH_PYTHON="$(CURDIR)/$(BENCH_VENV)/bin/python3" \
	  "$$($(SWIFT) build $(RELEASE) --show-bin-path)/banli-bench"

# libFuzzer on the wire decoder and the join: builds BanliCore with -sanitize=fuzzer,address.
fuzz:
	mkdir -p .build/fuzz && cp -n Fuzz/corpus/* .build/fuzz/ 2>/dev/null || true
	swiftc -sanitize=fuzzer,address -parse-as-library -module-name BanliFuzz -O Sources/BanliCore/*.swift Fuzz/FuzzWire.swift -o .build/fuzz-wire
	.build/fuzz-wire -max_total_time=$${FUZZ_SECONDS:-300} -max_len=4096 .build/fuzz

# `make demo ARGS=--keep-running` leaves the hub, the daemons and both workbenches up (Ctrl-C stops them).
demo: debug
	"$$($(SWIFT) build --show-bin-path)/banli" demo $(ARGS)

# For developers; servers install the .deb (`make deb`). The binary, the example configs and the units,
# each config only if absent; the units go to $(PREFIX)/lib/systemd/system, where systemd finds them and
# an administrator's /etc/systemd/system/banli*.service (an override) still wins.
install: build
	install -D -m 0755 "$$($(SWIFT) build $(RELEASE) --show-bin-path)/banli" "$(DESTDIR)$(PREFIX)/bin/banli"
	@echo "installed $(DESTDIR)$(PREFIX)/bin/banli"
	@id banli >/dev/null 2>&1 || [ -n "$(DESTDIR)" ] || [ "$$(id -u)" != 0 ] || useradd --system --home-dir /var/lib/banli --shell /usr/sbin/nologin banli
	install -d -m 0755 "$(DESTDIR)/etc/banli"
	@for f in banli.toml hub.toml; do if [ -e "$(DESTDIR)/etc/banli/$$f" ]; then echo "kept $(DESTDIR)/etc/banli/$$f (it exists)"; \
	  else install -m 0640 config/$$f "$(DESTDIR)/etc/banli/$$f" && echo "installed $(DESTDIR)/etc/banli/$$f"; fi; done
	# The service user reads the configs and owns the stores.
	if [ -z "$(DESTDIR)" ] && id banli >/dev/null 2>&1; then chgrp banli /etc/banli/banli.toml /etc/banli/hub.toml; \
	  [ -d /var/lib/banli ] || install -d -o banli -g banli -m 0750 /var/lib/banli; fi
	install -d -m 0755 "$(DESTDIR)$(PREFIX)/share/doc/banli/examples"
	install -m 0644 $(EXAMPLES) "$(DESTDIR)$(PREFIX)/share/doc/banli/examples/"
	@echo "installed $(DESTDIR)$(PREFIX)/share/doc/banli/examples/ ($(notdir $(EXAMPLES)))"
	install -d -m 0755 "$(DESTDIR)$(PREFIX)/lib/systemd/system"
	@for u in banli.service banli-hub.service banli-web.service banli-hub-web.service; do d="$(DESTDIR)$(PREFIX)/lib/systemd/system/$$u"; \
	  sed 's#/usr/local/bin/banli#$(PREFIX)/bin/banli#g' systemd/$$u > "$$d" && chmod 0644 "$$d"; \
	  echo "installed $$d (ExecStart=$(PREFIX)/bin/banli …)"; \
	  [ ! -e "$(DESTDIR)/etc/systemd/system/$$u" ] || echo "note: $(DESTDIR)/etc/systemd/system/$$u exists and overrides it; left as it is"; \
	done
	@echo "Next: edit /etc/banli/banli.toml (bureau) or hub.toml (office), then systemctl daemon-reload && systemctl enable --now banli (or banli-hub)."
	@echo "The workbench: banli user add NAME --role clerk (or office), then systemctl enable --now banli-web (or banli-hub-web)."

clean:
	rm -rf .build
