"""The build of the static folder and the command line. CPython only: never shipped to the browser.
"""
