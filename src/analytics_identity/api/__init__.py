"""The instance behind ``window.analytics`` and the Python API: its methods, their flexible arguments,
the entry every public call passes, and the collaborators it is composed of.
"""
