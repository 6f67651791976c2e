"""The staff home: one page with what needs attention today (orders and revenue against last
week, open sentiment alerts, running jobs, models waiting for promotion, running campaigns,
stock at risk) and the JSON endpoints its charts are drawn from.

Reads go through the apps' selectors (`selectors.py` here only assembles them); `views.py`
checks, section by section, that the user may view the model behind it.
"""
