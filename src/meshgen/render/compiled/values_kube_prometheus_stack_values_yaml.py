"""Jinja's code for templates/values/kube-prometheus-stack-values.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '15d054a67fefe0ebe20217dff97f04f373d7787d29fa12f70d1c5ea6303b535f jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'values/kube-prometheus-stack-values.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_monitors_release = resolve('monitors_release')
    l_0_documents = resolve('documents')
    try:
        t_1 = environment.filters['comment']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'comment' found.")
    try:
        t_2 = environment.filters['to_yaml']
    except KeyError:
        @internalcode
        def t_2(*unused):
            raise TemplateRuntimeError("No filter named 'to_yaml' found.")
    pass
    yield '# Values for the prometheus-community/kube-prometheus-stack chart (Prometheus Operator).\n# `prometheus.prometheusSpec` comes from monitoring.prometheus, `grafana:` (the grafana\n# subchart) from monitoring.grafana. Istio is scraped by the PodMonitor and ServiceMonitor\n# of the '
    yield str(t_1((undefined(name='monitors_release') if l_0_monitors_release is missing else l_0_monitors_release)))
    yield ' release, labelled to match the selectors below.\n'
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '4=26&5=28'
