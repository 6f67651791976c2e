"""The pure parts of aspect analysis, without Django, so they run and are tested on their own.

- `defaults`: the default aspects (name, description, example sentences, keyword hints).
- `sentences`: splitting a review into opinion units (sentences, cut at "but", "although"...).
- `matching`: assigning aspects to units by cosine similarity of encoder embeddings.
- `alerts`: the statistical rule that says when negative opinions rose above their history.
- `summaries`: pros and cons built from aspect evidence, and the check that a phrased point
  traces back to that evidence.

Django models, the registry and the encoder are reached only by the callers in
`insights.services.aspects`; this package takes and returns plain values.
"""
