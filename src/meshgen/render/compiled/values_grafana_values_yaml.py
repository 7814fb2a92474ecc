"""Jinja's code for templates/values/grafana-values.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '8ec46306d48a051172a1b736c70d997d497b576647a3546bf86476bc2703d441 jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'values/grafana-values.yaml.j2'

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
    yield '# Values for the grafana-community/grafana chart: the Prometheus datasource and the\n# dashboards. Each `dashboards` key is a provider whose path is\n# /var/lib/grafana/dashboards/<provider>; grafana.com dashboards are pinned by revision.\n'
    yield str(t_1(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '4=19'
