"""Jinja's code for templates/manifests/waypoint.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '19640480323beb54e9a8a77812d0d61265df1028e67059bc73b046eb4020bf39 jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'manifests/waypoint.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_waypoint = resolve('waypoint')
    l_0_namespace = resolve('namespace')
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
    yield '# Waypoint '
    yield str(t_1((undefined(name='waypoint') if l_0_waypoint is missing else l_0_waypoint)))
    yield ' of namespace '
    yield str(t_1((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace)))
    yield ': the L7 proxy (and the\n# reporter="waypoint" metrics) of the traffic that names it with istio.io/use-waypoint.\n# istiod deploys it for this Gateway (class istio-waypoint).\n'
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=27&4=31'
