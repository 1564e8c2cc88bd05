"""Calls from page JavaScript: the methods table, their dispatch and replay, and the bounce hand-over."""
