"""Marketing: campaigns, ad copy variants (checked by `copy_checks` before a marketer sees them),
the brand voice and channel limits, and variant testing on real conversions: the storefront asks
`/api/v1/ads/{placement}/` for a variant (Thompson sampling in `bandit`, with a deterministic
holdout per shopper), reports impressions and clicks, and conversions are attributed from the
order tables. Copy generation and the brand-voice fine-tune come with the rest of issue 6.
"""
