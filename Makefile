# rdsbackup — spec-driven client, fake endpoint and conformance suite for the RDS v3
# "Obtaining the Link for Downloading a Backup File" operation.
#
#   make test            everything CI runs: spec-check, drift check, vet, all tests (recorded + fake suites)
#   make spec-check      fail on a breaking change of the OpenAPI description against its last release
#                        (openapi/released/; oasdiff), printing each one
#   make spec-release    make the description the new release (info.version must go up; MAJOR on a break)
#   make docs            docs/index.html from the description with Redocly CLI (npm, into .bench/; not in CI)
#   make test-race       all tests again under the race detector (CI runs it after make test)
#   make conformance     the Ginkgo conformance suite (FOCUS=regexp runs matching specs; live when RDS_ENDPOINT or
#                        HUAWEICLOUD_SDK_REGION is set), JUnit + JSON under reports/
#   make bench           benchmarks with their baselines
#   make fuzz            each fuzz target for FUZZTIME (default 20s)

GO        ?= go
GINKGO    := $(GO) run github.com/onsi/ginkgo/v2/ginkgo
FUZZTIME  ?= 20s
REPORTS   ?= reports
BIN       ?= bin

.PHONY: all generate verify vet lint test test-race test-short spec-check spec-release docs conformance conformance-binary build bench bench-fake bench-download bench-proxy sdk-crosscheck fuzz soak clean

all: verify test

## generate: regenerate gen/rdsbackup/*.gen.go from openapi/rds-backup-files.yaml
generate:
	$(GO) generate ./...

## verify: regenerate and fail if the generated code in the tree differs from what the spec
## and config produce (the regenerated files are left in place for you to review and commit)
verify:
	@before=$$(mktemp -d); cp gen/rdsbackup/*.gen.go $$before/; \
	$(GO) generate ./... || exit 1; \
	drift=""; for f in gen/rdsbackup/*.gen.go; do cmp -s $$f $$before/$$(basename $$f) || drift="$$drift $$f"; done; \
	for f in $$before/*.gen.go; do [ -e gen/rdsbackup/$$(basename $$f) ] || drift="$$drift $$(basename $$f)(removed)"; done; \
	rm -rf $$before; \
	if [ -n "$$drift" ]; then echo "verify: generated code was out of date with the spec or config:$$drift"; echo "  (regenerated now: review with git diff and commit)"; exit 1; fi; \
	echo "verify: generated code matches the spec and config"

vet:
	@bad=$$(gofmt -l $$(git ls-files --cached --others --exclude-standard '*.go')); if [ -n "$$bad" ]; then echo "not gofmt-formatted: $$bad"; exit 1; fi
	$(GO) vet ./...

lint: vet

## test: the test command (CI runs this, then test-race); spec-check first, so that a breaking
## edit of the description is reported as such before verify regenerates the code
test: spec-check verify vet
	$(GO) test -count=1 ./...

## test-race: every test under the race detector (slower; CI runs it after test)
test-race:
	$(GO) test -race -count=1 ./...

test-short:
	$(GO) test -short ./...

## spec-check: compare openapi/rds-backup-files.yaml with the last released description
## (openapi/released/rds-backup-files.yaml) with oasdiff and fail on a breaking change. The
## checker is its own module (internal/speccheck), so oasdiff stays out of this module's go.mod;
## its tests run after the check (whose one-line findings come first).
spec-check:
	@mkdir -p $(BIN)
	@cd internal/speccheck && $(GO) vet ./... && $(GO) build -o "$(abspath $(BIN))/speccheck" .
	@"$(abspath $(BIN))/speccheck" -root "$(CURDIR)" check
	@cd internal/speccheck && out=$$($(GO) test -count=1 ./... 2>&1) || { echo "$$out"; exit 1; }

## spec-release: the working description becomes the release: openapi/released/rds-backup-files.yaml
## and a copy named by its version. Refused unless info.version went up, and up by a major
## version when spec-check finds a breaking change.
spec-release:
	@mkdir -p $(BIN)
	@cd internal/speccheck && $(GO) build -o "$(abspath $(BIN))/speccheck" .
	@"$(abspath $(BIN))/speccheck" -root "$(CURDIR)" release

## docs: lint the description and render docs/index.html (Redoc 2, self-contained: the Redoc
## script inlined, no web font) with Redocly CLI $(REDOCLY_VERSION), installed with npm into
## $(REDOCLY_DIR)/ on first use. CLI 2.x renders with Redoc 3, which ignores the ReDoc-Inject
## marker and hides the security schemes behind a button.
REDOCLY_VERSION := 1.34.20
REDOCLY_DIR     := .bench/redocly
REDOCLY         := REDOCLY_TELEMETRY=off REDOCLY_SUPPRESS_UPDATE_NOTICE=true $(REDOCLY_DIR)/node_modules/.bin/redocly
INLINE_REDOC    := const fs=require("fs"),f="docs/index.html",tag=/<script src="https:\/\/cdn\.redocly\.com\/redoc\/[^"]*"><\/script>/; \
	const js=fs.readFileSync("$(REDOCLY_DIR)/node_modules/redoc/bundles/redoc.standalone.js","utf8").replace(/<\/script/gi,"<\\/script"); \
	const html=fs.readFileSync(f,"utf8"); if(!tag.test(html)) throw new Error(f+": no Redoc script tag to inline"); \
	fs.writeFileSync(f,html.replace(tag,()=>"<script>"+js+"</script>"))
docs:
	@mkdir -p $(REDOCLY_DIR) docs
	@[ "$$(cd $(REDOCLY_DIR) && node -p 'require("@redocly/cli/package.json").version' 2>/dev/null)" = "$(REDOCLY_VERSION)" ] || \
		(cd $(REDOCLY_DIR) && { [ -f package.json ] || echo '{"private": true}' > package.json; } && \
		npm install --no-audit --no-fund --loglevel=error --save-exact @redocly/cli@$(REDOCLY_VERSION))
	$(REDOCLY) lint openapi/rds-backup-files.yaml
	$(REDOCLY) build-docs openapi/rds-backup-files.yaml --disableGoogleFont -o docs/index.html
	@node -e '$(INLINE_REDOC)'
	@echo "docs: wrote docs/index.html"

## conformance: run the suite with readable output; reports in $(REPORTS)/. A run in which no
## spec ran fails. Relative paths in RDS_CA_FILE, RDS_RECORDINGS and RDS_RECORD are taken from
## the directory make was started in (RDS_WORKDIR), not from contract/ where the tests run.
RDS_WORKDIR ?= $(if $(PWD),$(PWD),$(CURDIR))
conformance:
	@mkdir -p $(REPORTS)
	RDS_WORKDIR="$(RDS_WORKDIR)" RDS_REPORTS="$(abspath $(REPORTS))" $(GINKGO) --no-color --fail-on-empty $(if $(V),-v,) --label-filter="$${RDS_LABELS:-}" $(if $(FOCUS),--focus="$(FOCUS)",) --junit-report=conformance.junit.xml --json-report=conformance.json --output-dir=$(abspath $(REPORTS)) ./contract

## conformance-binary: one standalone binary of the suite for a host that reaches a private endpoint
conformance-binary:
	@mkdir -p $(BIN)
	$(GINKGO) build -o $(abspath $(BIN))/rds-conformance ./contract
	@echo "built $(BIN)/rds-conformance; run it with the same variables:  RDS_ENDPOINT=... ./rds-conformance --ginkgo.v --ginkgo.junit-report=report.xml"

build:
	@mkdir -p $(BIN)
	$(GO) build -o $(BIN)/ ./cmd/...

bench:
	$(GO) test -run '^$$' -bench . -benchmem ./gen/... ./contract/...

## bench-fake: rdsfake vs a bare handler vs Prism 5 (installs Prism with npm into .bench/)
bench-fake:
	@mkdir -p .bench
	@[ -x .bench/node_modules/.bin/prism ] || (cd .bench && npm install --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5)
	$(GO) run ./internal/cmd/benchfake -duration $${BENCH_DURATION:-5s} -rounds $${BENCH_ROUNDS:-3}

## bench-download: rdsbackup download vs curl -o of a 1 GiB file from rdsfake
bench-download:
	$(GO) run ./internal/cmd/benchdownload

## bench-proxy: rdsproxy (validating every exchange) vs rdsfake direct vs Prism 5's `prism proxy`,
## and a 1 GiB object through rdsproxy (installs Prism with npm into .bench/)
bench-proxy:
	@mkdir -p .bench
	@[ -x .bench/node_modules/.bin/prism ] || (cd .bench && npm install --no-audit --no-fund --loglevel=error @stoplight/prism-cli@5)
	$(GO) run ./internal/cmd/benchproxy -duration $${BENCH_DURATION:-5s} -rounds $${BENCH_ROUNDS:-3}

## sdk-crosscheck: this toolkit against the provider's official Go SDK (a separate module;
## downloads and builds the 46 MB SDK, about two minutes cold)
sdk-crosscheck:
	cd internal/sdkcrosscheck && $(GO) run .

## fuzz: every fuzz target of every package for FUZZTIME each (found by name, so a new target
## is fuzzed without editing this file; the seeds also run in every `go test`)
fuzz:
	@for file in $$(grep -rl --include='*_test.go' '^func Fuzz' .); do \
		dir=./$$(dirname $${file#./}); \
		for target in $$(grep -ho '^func Fuzz[A-Za-z0-9]*' $$file | cut -d' ' -f2); do \
			echo "== $$target ($$dir)"; $(GO) test -run '^$$' -fuzz "^$$target\$$" -fuzztime $(FUZZTIME) $$dir || exit 1; \
		done; done

soak:
	$(GO) run ./internal/cmd/soak -duration $${SOAK_DURATION:-60s} -conns $${SOAK_CONNS:-64}

clean:
	rm -rf $(BIN) $(REPORTS) .bench
