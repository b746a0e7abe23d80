# Spoke. `make test` is the README's test command; `.ci/run` installs packages and calls it.
GO ?= go
STATICCHECK ?= $(GO) run honnef.co/go/tools/cmd/staticcheck@v0.8.2
export LANG ?= C.UTF-8

.PHONY: all build run demo test lint unit keychain fuzz bench package eval

all: build

# Two binaries side by side: spoke (the CLI and the launcher; no Fyne) and spoke-gui (the
# desktop app), which spoke execs from its own directory when given no command.
# make build VERSION=0.12.3 stamps the release into every binary (spoke/version.Version, which
# devices report to the hub and the security check-up compares); without it, the source's default.
VERSION ?=
LDFLAGS := $(if $(VERSION),-ldflags "-X spoke/version.Version=$(VERSION)")

build:
	$(GO) build $(LDFLAGS) -o spoke .
	$(GO) build $(LDFLAGS) -o spoke-gui ./cmd/spoke-gui

run: build
	./spoke

demo: build
	./spoke --demo

test: lint unit keychain hubload

lint:
	@out=$$(gofmt -l .); if [ -n "$$out" ]; then echo "gofmt needed:"; echo "$$out"; exit 1; fi
	$(GO) vet ./...
	$(GO) vet -tags keychain ./...
	$(STATICCHECK) ./...

# Every package under the race detector, with a throw-away PostgreSQL for the hub's tests
# (scripts/with-postgres.sh starts one on a loopback port and removes it afterwards).
unit:
	./scripts/with-postgres.sh $(GO) test -race -count=1 -timeout 25m ./...

# The real Secret Service: gnome-keyring in a private dbus session, with a throw-away keyring
# directory (XDG_DATA_HOME) so a developer's own keyring is never touched.
keychain:
	@kr=$$(mktemp -d); \
	XDG_DATA_HOME=$$kr GOCACHE=$$($(GO) env GOCACHE) dbus-run-session -- sh -c \
	  'echo -n spoke-ci | gnome-keyring-daemon --unlock --components=secrets >/dev/null && \
	   $(GO) test -race -count=1 -tags keychain ./crypto/keychain/ && \
	   $(GO) test -race -count=1 -tags keychain -run RealKeychain ./store/'; \
	rc=$$?; rm -rf $$kr; exit $$rc

# A short run of every fuzz target (each decoder and importer).
FUZZTIME ?= 15s
fuzz:
	@for pkg in ./crypto/seal ./crypto/stream ./crypto/keys ./crypto/device ./crypto/roster ./crypto/lthash ./store/backup ./store/contact ./csvimport ./store/search ./hlc ./sync/wire ./protocol ./protocol/auditrec ./store ./detect ./version ./compliance/checkup ./paper; do \
	  for f in $$($(GO) test -list '^Fuzz' $$pkg | grep '^Fuzz'); do \
	    echo "== $$pkg $$f"; $(GO) test -run '^$$' -fuzz "^$$f$$" -fuzztime $(FUZZTIME) $$pkg || exit 1; \
	  done; \
	done

bench:
	$(GO) test ./store/ -run '^$$' -bench 'TypeAhead|LookupEmail|CreateCustomer|UnlockToSearchable|DatabaseSize|Verify|DetectorPerAction' -benchtime 3s -timeout 60m
	$(GO) test ./demo/ -run '^$$' -bench LoadDemo -benchtime 1x
	$(GO) test ./store/ -run '^$$' -bench 'ApplyRemote' -benchtime 3x -timeout 30m
	$(GO) test ./store/ -run '^$$' -bench 'Erasure' -benchtime 3x -timeout 30m
	$(GO) test ./store/backup/ -run '^$$' -bench . -benchtime 1x -timeout 60m
	SPOKE_BENCH_CUSTOMERS=10000 $(GO) test ./store/backup/ -run '^$$' -bench IncrementalAfter1000Changes -benchtime 3x -timeout 30m
	$(GO) test ./sync/engine/ -run '^$$' -bench Sync100kFieldChanges -benchtime 3x -timeout 30m
	SPOKE_BENCH_CUSTOMERS=10000 $(GO) test ./sync/engine/ -run '^$$' -bench CompactThenJoin -benchtime 1x -timeout 30m
	$(GO) test ./app/ -run '^$$' -bench GUIMemory -benchtime 1x -timeout 30m
	./scripts/with-postgres.sh env SPOKE_HUB_LOAD=bench $(GO) test -count=1 -timeout 15m -run '^TestLoad$$' -v ./sync/hub/
	$(GO) test ./detect/ -run '^$$' -bench Observe -benchtime 3x
	$(GO) test ./cli/ -run '^$$' -bench DetectMillion -benchtime 1x -timeout 30m
	$(MAKE) eval

# The detector's evaluation: labelled traces for the tuning seeds and for held-out seeds, three
# staff sizes each; per scenario found and time to detection, recall, false alerts per
# shop-week (see detect/eval).
eval:
	$(GO) run ./detect/eval/cmd/spoke-eval

# The desktop app's package: fyne builds cmd/spoke-gui and reads cmd/spoke-gui/FyneApp.toml
# (and bumps its Build there) into Spoke.tar.xz (spoke-gui/: a Makefile, the binary, the icon
# and the desktop entry). The spoke binary (the CLI, which execs the spoke-gui beside it) is
# then added to the archive, and its Makefile installs and removes it with spoke-gui.
package:
	$(GO) install fyne.io/tools/cmd/fyne@v1.7.4
	fyne package -os linux --src cmd/spoke-gui --icon $(CURDIR)/assets/icon.png
	$(MAKE) package-cli

.PHONY: package-cli
package-cli:
	@rm -rf .package && mkdir .package && tar xJf Spoke.tar.xz -C .package
	$(GO) build -trimpath -o .package/spoke-gui/usr/local/bin/spoke .
	sed -i '/^\t\(install -Dm00755\|-rm\) .*bin\/$$(Exec)$$/{p;s/$$(Exec)/spoke/g}' .package/spoke-gui/Makefile
	tar cJf Spoke.tar.xz -C .package spoke-gui && rm -rf .package

# The hub against a real, throw-away PostgreSQL (scripts/with-postgres.sh starts one on a loopback
# port and stops it afterwards): the storage conformance suite on SQLite and PostgreSQL, the TLS,
# security-refusal, plaintext-leak and two-hubs-one-database tests, then the full-size load test
# (100 devices) on both backends, which prints change-sets/s, p50/p99 latency and errors.
.PHONY: hubtest hubload
hubtest:
	./scripts/with-postgres.sh $(GO) test -race -count=1 -timeout 25m ./...c/hub/... ./cmd/spoke-hub/
	$(MAKE) hubload

# The full-size load test alone (part of `make test`).
hubload:
	./scripts/with-postgres.sh env SPOKE_HUB_LOAD=full $(GO) test -count=1 -run '^TestLoad$$' -v ./sync/hub/

# One PNG per main screen of the demo shop, in English and Chinese, rendered with Fyne's
# software test driver (no display needed) into ./screenshots/ (git-ignored); then each printed
# document (ticket, tag, receipt, notice; English and Chinese) as PDF, turned into PNG with
# pdftoppm (poppler-utils).
.PHONY: screenshots
screenshots:
	@mkdir -p screenshots
	SPOKE_SCREENSHOTS=$(CURDIR)/screenshots $(GO) test -count=1 -run '^TestScreenshots$$' ./app/
	SPOKE_SCREENSHOTS=$(CURDIR)/screenshots $(GO) test -count=1 -run '^TestDocumentsRender$$' ./paper/
	@ls screenshots/*.png | wc -l | xargs echo "screenshots written:"
