# The setup guide's targets. Each is a thin call of meshgen, helmfile or kubectl;
# `make -n <target>` shows the commands. Override any variable on the command line, e.g.
#   make istio-verify KUBE_CONTEXT=prod
#   make run-istio-test MESHGEN=/opt/meshgen/bin/meshgen
# The namespace defaults match infrastructure/meshgen.yaml (a test keeps them in step).
# For your own config, `meshgen makefile -o Makefile` writes one with its own services.

# The README's set-up installs meshgen into .venv; use it when it is there.
MESHGEN ?= $(if $(wildcard .venv/bin/meshgen),.venv/bin/meshgen,meshgen)
KUBECTL ?= kubectl
CONFIG ?= infrastructure/meshgen.yaml
# The rendered Helmfile tree (`output:` of the config, relative to it).
TREE ?= infrastructure/deployment/helmfile
MONITORING_NAMESPACE ?= monitoring
BALANCER_NAMESPACE ?= inference
BALANCER ?= inference-balancer
# Deployments of the balancer carry the chart's `app` label.
BALANCER_SELECTOR ?= app=$(BALANCER)
ROLLOUT_TIMEOUT ?= 5m
GRAFANA_SERVICE ?= grafana
GRAFANA_PORT ?= 3000
PROMETHEUS_SERVICE ?= prometheus-server
PROMETHEUS_PORT ?= 9090
# monitoring.grafana.adminSecret; the password comes from the environment only:
#   GRAFANA_ADMIN_PASSWORD=... make grafana-admin-secret
GRAFANA_ADMIN_SECRET ?= grafana-admin
GRAFANA_ADMIN_USER ?= admin
# Empty: kubectl's current context.
KUBE_CONTEXT ?=

KUBECTL_CMD = $(KUBECTL)$(if $(KUBE_CONTEXT), --context $(KUBE_CONTEXT))
CONTEXT_FLAG = $(if $(KUBE_CONTEXT), --context $(KUBE_CONTEXT))

.DEFAULT_GOAL := help
.PHONY: help grafana-admin-secret deploy-services enable-istio-injection deploy-balancer istio-verify \
	restart-inference-balancer run-istio-test grafana-ui prometheus-ui

help: ## List the targets
	@echo "Targets (in setup order; variables: CONFIG, KUBE_CONTEXT, MESHGEN, KUBECTL, ...):"
	@grep -E '^[a-z-]+:.*## ' $(firstword $(MAKEFILE_LIST)) | \
		sed -e 's/:.*## /\t/' | awk -F '\t' '{ printf "  %-28s %s\n", $$1, $$2 }'

grafana-admin-secret: ## The Grafana admin Secret (first: its namespace; GRAFANA_ADMIN_PASSWORD=...)
	@test -n "$$GRAFANA_ADMIN_PASSWORD" || { echo 'set GRAFANA_ADMIN_PASSWORD to the admin password' >&2; exit 1; }
	$(KUBECTL_CMD) create namespace $(MONITORING_NAMESPACE) --dry-run=client -o yaml | $(KUBECTL_CMD) apply -f -
	$(KUBECTL_CMD) -n $(MONITORING_NAMESPACE) create secret generic $(GRAFANA_ADMIN_SECRET) --from-literal=admin-user=$(GRAFANA_ADMIN_USER) --from-literal=admin-password="$$GRAFANA_ADMIN_PASSWORD" --dry-run=client -o yaml | $(KUBECTL_CMD) apply -f -

deploy-services: ## Istio (base, istiod, namespaces, Telemetry) then Prometheus and Grafana
	$(MESHGEN) apply -c $(CONFIG) --tier mesh$(CONTEXT_FLAG)
	$(MESHGEN) apply -c $(CONFIG) --tier monitoring$(CONTEXT_FLAG)

enable-istio-injection: ## Apply the rendered namespaces with their injection labels
	$(MESHGEN) render -c $(CONFIG)
	$(KUBECTL_CMD) apply -f $(TREE)/manifests/namespaces/

deploy-balancer: ## The inference-balancer release (app tier)
	$(MESHGEN) apply -c $(CONFIG) --tier app$(CONTEXT_FLAG)

istio-verify: ## Check the live mesh: istiod, labels, sidecars, Telemetry, monitoring
	$(MESHGEN) verify -c $(CONFIG)$(CONTEXT_FLAG)

restart-inference-balancer: ## Restart the balancer's pods (new sidecar, buckets) and wait
	$(KUBECTL_CMD) -n $(BALANCER_NAMESPACE) rollout restart deployment --selector=$(BALANCER_SELECTOR)
	deployments="$$($(KUBECTL_CMD) -n $(BALANCER_NAMESPACE) get deployment --selector=$(BALANCER_SELECTOR) -o name)" || exit 1; \
	for deployment in $$deployments; do \
		$(KUBECTL_CMD) -n $(BALANCER_NAMESPACE) rollout status "$$deployment" --timeout=$(ROLLOUT_TIMEOUT) || exit 1; \
	done

run-istio-test: ## Send fortio traffic through the mesh and print the latencies
	$(MESHGEN) traffic -c $(CONFIG)$(CONTEXT_FLAG)

grafana-ui: ## Port-forward Grafana to http://localhost:3000 (GRAFANA_PORT)
	$(KUBECTL_CMD) -n $(MONITORING_NAMESPACE) port-forward svc/$(GRAFANA_SERVICE) $(GRAFANA_PORT):80

prometheus-ui: ## Port-forward Prometheus to http://localhost:9090 (PROMETHEUS_PORT)
	$(KUBECTL_CMD) -n $(MONITORING_NAMESPACE) port-forward svc/$(PROMETHEUS_SERVICE) $(PROMETHEUS_PORT):80
