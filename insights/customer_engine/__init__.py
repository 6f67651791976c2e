"""The pure parts of customer value, without Django, so they run and are tested on their own.

- `transactions`: the (customer_id, date, amount) row every model here starts from, and the
  grouping of one customer's same-day purchases into one transaction.
- `rfm`: recency, frequency and monetary value per customer, quintile scores 1-5 and the named
  segments (Champions ... Lost), each segment's rule kept as data for the admin to show.
- `btyd`: buy-till-you-die models. BG/NBD (purchase rate and dropout; expected purchases,
  probability alive) and Gamma-Gamma (spend per transaction), both fitted by maximum likelihood,
  and the (x, t_x, T, monetary) summaries they are fitted on.
- `value`: the two models combined per customer: churn risk, expected purchases, expected
  spend and discounted customer lifetime value.

Orders, customers and jobs are reached only by the Django callers; this package takes and
returns plain values (numbers, dates, numpy arrays, frozen dataclasses). It needs numpy and
scipy (`scipy.special`, `scipy.optimize`).
"""
