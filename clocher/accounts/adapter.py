from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):  # type: ignore[misc]  # allauth ships no types
    """Clocher's allauth adapter: the place for site-wide sign-up and sign-in rules."""
