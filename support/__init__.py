"""Support assistant: intents (a classifier fine-tuned from the encoder, with a "not sure"
threshold), their labelled examples, conversations and messages. Knowledge base, grounded
answers and handoff to support agents are built next on these models.
"""
