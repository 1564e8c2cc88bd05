"""Who the visitor is: :class:`~.entity.User` and :class:`~.entity.Group` on one entity base, and random ids.
"""
