"""Auth providers (Composio, Pipedream Connect): services that hold a user's accounts with
third-party apps and hand out their credentials. A source connection with ``auth_provider``
authentication fetches its credentials through one at sync time instead of storing them."""
