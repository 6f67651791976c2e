"""The pure recommendation engine: no Django, only numpy, scipy and torch.

Owns the recommender contract and registry (`base`), interaction data and splits (`data`),
full-ranking metrics (`metrics`), the recommenders (`popularity`, `trending`, `cooccurrence`,
`content`, `als`, `sequential`) and the `blender` that applies business rules. Importing this
package registers every recommender, so `create(name, ...)` and `load(directory)` know them.
"""

from recommendations.engine import als, content, cooccurrence, popularity, sequential  # noqa: F401
from recommendations.engine.base import (
    Recommendation,
    Recommender,
    create,
    load,
    names,
    register,
)

__all__ = ["Recommendation", "Recommender", "create", "load", "names", "register"]
