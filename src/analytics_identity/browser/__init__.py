"""The only modules that import ``js`` and ``pyodide``: the real page behind the core's protocols.
"""
