"""The public instance behind ``window.analytics`` and the Python API: the methods,
their flexible arguments, load options, the query-string API and the replay of buffered calls.
"""
