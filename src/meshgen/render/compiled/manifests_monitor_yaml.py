"""Jinja's code for templates/manifests/monitor.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '5bfe4fb47845c3118989b57770a39537faa6ed44a9d2e37c25ae9a9904fe858c jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'manifests/monitor.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_documents = resolve('documents')
    l_0_stack_release = resolve('stack_release')
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
    yield '# Prometheus Operator '
    yield str(t_1(environment.getattr(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0), 'kind')))
    yield ' for Istio, labelled for the selector of\n# the '
    yield str(t_1((undefined(name='stack_release') if l_0_stack_release is missing else l_0_stack_release)))
    yield " Prometheus (modelled on Istio's samples/addons/extras/prometheus-operator.yaml).\n"
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=26&2=28&3=30'
