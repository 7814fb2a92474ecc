"""Jinja's code for templates/values/service-values.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '8423f67de28358867b63e6202736b0617ff41c5a0c18dd8d317314243040b1b4 jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'values/service-values.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_service = resolve('service')
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
    try:
        t_3 = environment.tests['none']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No test named 'none' found.")
    pass
    yield '# Values for the '
    yield str(t_1(environment.getattr((undefined(name='service') if l_0_service is missing else l_0_service), 'name')))
    yield ' release (chart '
    yield str(t_1(environment.getattr((undefined(name='service') if l_0_service is missing else l_0_service), 'chart')))
    yield ').\n'
    if t_3(environment.getattr((undefined(name='service') if l_0_service is missing else l_0_service), 'pod_labels')):
        pass
        yield '# `app` and `version` become the pod labels Istio reports as *_app / *_version.\n'
    else:
        pass
        yield '# The chart labels its pods itself (podLabels in the config: meshgen selects them by these).\n'
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=32&2=36&7=42'
