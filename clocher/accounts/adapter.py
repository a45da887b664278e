from allauth.account.adapter import DefaultAccountAdapter


class AccountAdapter(DefaultAccountAdapter):
    """Clocher's allauth adapter: the place for site-wide sign-up and sign-in rules."""
