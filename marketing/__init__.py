"""Marketing: campaigns, ad copy generation with the store's voice, and variant testing. Campaigns
exist now; the rest comes with its issue.
"""
