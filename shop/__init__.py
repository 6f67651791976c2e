"""The store: catalogue, customers, orders, reviews, behaviour events and API keys; data import and
the demo store.
"""
