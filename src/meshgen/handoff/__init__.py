"""The last stage: hand a checked tree to the real tools (helmfile, kubectl).

- `runner`: argv lists, timeouts and clear errors when a binary is missing;
- `verify`: `meshgen verify`, read-only checks against a live cluster;
- `traffic`: `meshgen traffic`, the load-test Job applied through kubectl.
"""
