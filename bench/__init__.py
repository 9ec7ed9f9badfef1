"""The benchmark and the load test: how Cooking Tagger compares with its peers, and how fast it is.

Not part of the runtime package: the app, the CLI and the Python API never import it. `make bench`
runs `python -m bench`; `bench/load_test.py` drives browsers against a running app; `bench/server.py`
starts the app for the load test and the browser tests.

- `run`: the benchmark's sections and its command line.
- `peers`: the peers (fastText as in its tutorial) and the configurations compared.
- `measure`: timing helpers, machine facts, child processes.
- `report`: the printed tables, `results.md` and the chart.
- `synthetic`: generated Stack Exchange `Posts.xml` dumps of any size.
"""
