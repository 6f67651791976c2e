"""Marketing: campaigns, ad copy variants (checked by `copy_checks` before a marketer sees them),
the brand voice and channel limits, and variant testing on real conversions: the storefront asks
`/api/v1/ads/{placement}/` for a variant (Thompson sampling in `bandit` on delay-weighted
counts, with a deterministic holdout per shopper), reports impressions and clicks, and
conversions are attributed from the order tables. Variants are written by the generator
(`copy_generation`, the `adcopy_generate` job) in the store's voice (the `brand_voice_lora`
job), and marketers generate, edit, approve and compare them on the copy workbench (`views`).
"""
