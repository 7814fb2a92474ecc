"""H102's pre-filter: an edge lies in one strongly connected component iff it closes a cycle."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from meshgen.checks.helm.helmfile import Release, _components, _path_back

NODES = [f"ns/r{i}" for i in range(7)]


@settings(max_examples=300, deadline=None)
@given(st.lists(st.tuples(st.sampled_from(NODES), st.sampled_from(NODES)), max_size=18))
def test_same_component_iff_a_path_leads_back(edges: list[tuple[str, str]]) -> None:
    needs: dict[str, list[str]] = {node: [] for node in NODES}
    for source, target in edges:
        needs[source].append(target)
    by_id = {
        node: [Release(i, node.split("/")[1], "ns", tuple(needs[node]))]
        for i, node in enumerate(NODES)
    }
    component = _components(by_id)
    assert set(component) == set(NODES)
    for source, target in edges:
        closes_cycle = _path_back(by_id, target, source) is not None
        assert (component[source] == component[target]) == closes_cycle
