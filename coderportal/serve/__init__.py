"""Process supervision for `manage.py serve`: flags, child command lines, queues, the supervisor.

Kept Django-light on purpose: the flag mapping must run before settings are imported, and the
supervisor only spawns, watches and stops processes.
"""
