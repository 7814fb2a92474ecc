"""Jinja's code for templates/values/kiali-values.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = '63d7cd8469b1a4f101013df7146c79088e1189d8a313d2b3afa90046a96d270f jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'values/kiali-values.yaml.j2'

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
    yield '# Values for the kiali/kiali-server chart: Kiali reads the Prometheus and Grafana this tree\n# renders, and finds the Istio dashboards in Grafana by their titles.\n'
    yield str(t_1(environment.getitem((undefined(name='documents') if l_0_documents is missing else l_0_documents), 0)))
    yield '\n'

blocks = {}
debug_info = '3=19'
