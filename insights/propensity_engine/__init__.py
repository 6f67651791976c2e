"""Purchase propensity: the probability that a customer orders within the next N days.

Pure code (numpy and torch, no Django): `features` turns an activity log into feature
windows, `model` holds the network, its baseline and explanations, `training` fits and
evaluates them on a time-based split. `insights.services.propensity` feeds it the store.
"""
