"""Recommendations: candidate generators, ranking, offline evaluation and serving (pure engine code
in recommendations/engine/). (Skeleton: built by a later issue.)
"""
