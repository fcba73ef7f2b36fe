"""OAuth for source connections: the browser flow, bring-your-own apps and token refresh.

social-core's backends know each provider's endpoints, scope format and token exchange; Weft
drives them with its own strategy (``strategy.py``) whose session lives in the
``OAuthSession`` row, because the API caller that starts a flow is not the browser that ends it.
"""
