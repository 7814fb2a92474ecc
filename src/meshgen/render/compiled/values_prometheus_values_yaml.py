"""Jinja's code for templates/values/prometheus-values.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '28350701b82da552038d4f74b3c550d4fc089513b6ae3c72b2a2e53376ec9e11 jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'values/prometheus-values.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_documents = resolve('documents')
    try:
        t_1 = environment.filters['to_yaml']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'to_yaml' found.")
    pass
    yield "# Values for the prometheus-community/prometheus chart. The chart's default\n# `kubernetes-pods` job scrapes every sidecar through Istio's merged metrics port\n# (prometheus.io/* annotations set by the injector); extra Istio jobs follow.\n"
    yield str(t_1(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '4=19'
