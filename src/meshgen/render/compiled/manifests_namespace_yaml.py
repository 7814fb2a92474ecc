"""Jinja's code for templates/manifests/namespace.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = 'f3056d05b9b1e6758dd5248f09cb06d30aa3441f8c9d24127b4fa132a58bac4f jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'manifests/namespace.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
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
    try:
        t_3 = environment.tests['defined']
    except KeyError:
        @internalcode
        def t_3(*unused):
            raise TemplateRuntimeError("No test named 'defined' found.")
    pass
    if environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'ambient'):
        pass
        yield '# Namespace '
        yield str(t_1(environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'name')))
        yield ': ambient data plane (ztunnel'
        yield str((str_join((', waypoint ', environment.getattr(environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'waypoint'), 'name'), )) if environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'waypoint') else ''))
        yield '), no sidecar injection.\n'
    else:
        pass
        yield '# Namespace '
        yield str(t_1(environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'name')))
        yield ': sidecar injection '
        yield str(t_1((str_join(('revision ', environment.getattr(environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'injection'), 'revision'), )) if t_3(environment.getattr(environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'injection'), 'revision')) else environment.getattr((undefined(name='namespace') if l_0_namespace is missing else l_0_namespace), 'injection'))))
        yield '.\n'
    yield '# Kept when the release is removed (helm.sh/resource-policy: keep).\n'
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=31&2=34&4=41&7=46'
