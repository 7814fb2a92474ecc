"""Edit `meshgen.yaml` in place: comments, key order, quoting and untouched lines survive.

`roundtrip.py` loads and re-serializes with ruamel.yaml and maps the change back onto the
original text; `telemetry.py` holds the edits the `meshgen telemetry` commands make.
"""
