"""Jinja's code for templates/manifests/telemetry.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '8e0c0b3b756d53ec334842491be4b11c14612d2e11d000495e503ff77806b91e jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'manifests/telemetry.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_scope = resolve('scope')
    l_0_documents = resolve('documents')
    try:
        t_1 = environment.filters['to_yaml']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'to_yaml' found.")
    pass
    yield '# Istio Telemetry ('
    yield str((undefined(name='scope') if l_0_scope is missing else l_0_scope))
    yield ' scope).\n'
    yield str(t_1(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=20&2=22'
