"""Stage 1, load: input files -> plain data with positions -> typed models.

- `files`: find the config, bounded reads of any input file, paths as shown to the user;
- `yaml_reader`: the only YAML reader (libyaml fast path, ruamel round trip, C0xx codes);
- `libyaml_events`: the fast path's builder over libyaml's C event stream;
- `config`: config text -> `MeshConfig`, pydantic errors -> positioned diagnostics;
- `documents`: the document types checks read (Telemetry, Pod, dashboard, chart values).
"""
