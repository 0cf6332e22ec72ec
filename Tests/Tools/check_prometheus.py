"""Parses a Prometheus text exposition with the reference client's parser; exits 1 if it fails.

Usage: check_prometheus.py FILE   (prints one line per metric family)
"""
import sys

from prometheus_client.parser import text_string_to_metric_families

text = open(sys.argv[1], encoding="utf-8").read()
try:
    for family in text_string_to_metric_families(text):
        print(family.name, family.type, len(family.samples))
except Exception as error:  # the parser raises ValueError and friends on bad input
    print(f"invalid exposition: {error}", file=sys.stderr)
    sys.exit(1)
