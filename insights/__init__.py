"""Insights on the store's data: review sentiment and aspects, customer segments, purchase
propensity, lifetime value, sales forecasts and campaign evaluation. (Skeleton: built by later
issues.)
"""
