"""Jinja's code for templates/values/gateway-values.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '844b426c4d798dd5dd91937dc90d14a8c236b0b3002fbc5fe4781903f4f324ca jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'values/gateway-values.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_gateway = resolve('gateway')
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
    yield '# Values for the '
    yield str(t_1(environment.getattr((undefined(name='gateway') if l_0_gateway is missing else l_0_gateway), 'name')))
    yield ' gateway (chart istio/gateway). Its pods are\n# injected by istiod with the `gateway` template (chart pod annotation\n# inject.istio.io/templates) and scraped like sidecars on :15020/stats/prometheus.\n'
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=26&4=28'
