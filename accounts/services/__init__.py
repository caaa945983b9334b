"""Business logic of the accounts app: one module per domain, actor as keyword-only argument.

Order inside a service: authorize -> validate -> mutate in a transaction -> audit row ->
side effects on commit.
"""
