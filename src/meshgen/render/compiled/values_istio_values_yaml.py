"""Jinja's code for templates/values/istio-values.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '02b55991954565f13597b457dd9bf0d5b6af1d7ca6aaaeb78a29da310e6c34fe jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'values/istio-values.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_istio = resolve('istio')
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
    yield '# Values for the istio/istiod chart '
    yield str(t_1(environment.getattr((undefined(name='istio') if l_0_istio is missing else l_0_istio), 'version')))
    yield ': control plane and meshConfig.\n# Telemetry settings live in meshConfig (access logs, tracing, default providers);\n# per-workload metrics are Telemetry resources under manifests/telemetry/.\n'
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=26&4=28'
