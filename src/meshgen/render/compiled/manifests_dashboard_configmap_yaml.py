"""Jinja's code for templates/manifests/dashboard-configmap.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '341ceb3d9f5ae13fbfc9816ebe692dec495265994d9f9be0b2cf46276a3627d7 jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'manifests/dashboard-configmap.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_dashboard = resolve('dashboard')
    l_0_folder = resolve('folder')
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
    yield '# Grafana dashboard '
    yield str(t_1((undefined(name='dashboard') if l_0_dashboard is missing else l_0_dashboard)))
    yield ' (folder '
    yield str(t_1((undefined(name='folder') if l_0_folder is missing else l_0_folder)))
    yield '), loaded by the Grafana\n# dashboards sidecar (the label and folder annotation it watches); nothing is downloaded.\n'
    yield str(t_2(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '1=27&3=31'
