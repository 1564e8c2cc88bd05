"""Segment-spec events: building them, source middleware, ``on``/``off`` listeners, JSON safety.
"""
