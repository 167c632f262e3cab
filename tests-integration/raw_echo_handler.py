"""A persistent handler that answers with the job's input exactly as it received it.

The job line is {"id":"<id>","input":<input as stored>}; {"output": {"raw": "<that text>"}} lets a
test check through the API that an input is stored byte for byte (json.dumps escapes every
non-ASCII character, so the text comes back intact whatever it holds).
"""
import json
import sys

MARKER = b',"input":'

for line in sys.stdin.buffer:
    line = line.rstrip(b"\n")
    raw = line[line.index(MARKER) + len(MARKER):-1]
    print(json.dumps({"output": {"raw": raw.decode("utf-8")}}), flush=True)
