"""Support assistant: intents, knowledge base, grounded answers and handoff to support agents.
(Skeleton: built by a later issue.)
"""
