"""Jinja's code for templates/helmfile.yaml.j2 (scripts/gen_compiled_templates.py; do not edit)."""
# ruff: noqa
FINGERPRINT = 'cb5bba57004e909489580e1deb00bff0ec500d4ba786d19c8a54f6287950fcda jinja2==3.1.6'
from jinja2.runtime import LoopContext, Macro, Markup, Namespace, TemplateNotFound, TemplateReference, TemplateRuntimeError, Undefined, escape, identity, internalcode, markup_join, missing, str_join
name = 'helmfile.yaml.j2'

def root(context, missing=missing):
    resolve = context.resolve_or_missing
    undefined = environment.undefined
    concat = environment.concat
    cond_expr_undefined = Undefined
    if 0: yield None
    l_0_ambient = resolve('ambient')
    l_0_repositories = resolve('repositories')
    l_0_helm_defaults = resolve('helm_defaults')
    l_0_releases = resolve('releases')
    try:
        t_1 = environment.filters['to_yaml']
    except KeyError:
        @internalcode
        def t_1(*unused):
            raise TemplateRuntimeError("No filter named 'to_yaml' found.")
    pass
    yield '# Helmfile state for the mesh. Install order comes from `needs`:\n'
    if (undefined(name='ambient') if l_0_ambient is missing else l_0_ambient):
        pass
        yield '#   Gateway API CRDs (istio-base presync hook, or a prerequisite) -> istio-base -> istiod\n#   -> istio-cni -> ztunnel (ambient data plane); mesh-namespaces -> mesh-waypoints;\n#   mesh-telemetry -> services;\n'
    else:
        pass
        yield '#   istio-base -> istiod -> mesh-namespaces -> mesh-telemetry -> services;\n'
    yield '#   prometheus -> grafana alongside. One tier: `meshgen apply --tier mesh|monitoring|app`\n#   (helmfile --selector tier=...).\n'
    yield str(t_1({'repositories': (undefined(name='repositories') if l_0_repositories is missing else l_0_repositories)}))
    yield '\n\n'
    yield str(t_1({'helmDefaults': (undefined(name='helm_defaults') if l_0_helm_defaults is missing else l_0_helm_defaults)}))
    yield '\n\n'
    yield str(t_1({'releases': (undefined(name='releases') if l_0_releases is missing else l_0_releases)}))
    yield '\n'

blocks = {}
debug_info = '2=22&11=29&13=31&15=33'
