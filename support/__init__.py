"""Support assistant: intents (a classifier fine-tuned from the encoder, with a "not sure"
threshold) and their labelled examples; the knowledge base (articles and product facts as
embedded passages); conversations whose answers are grounded in retrieved passages and in the
shopper's own orders, with citations; PII redaction; handoff to support agents (queue, take,
reply, resolve), ratings, the support dashboard, the chat API and the chat widget.
"""
