"""Jinja's Python code for each template in `templates/` (generated; see `render/environment`).

Written by `scripts/gen_compiled_templates.py`; do not edit. A module here is used only
while its `FINGERPRINT` matches the template, `render/environment.py` and Jinja.
"""
