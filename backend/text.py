"""``N_``: marks a string for the catalogues where it is written (a label kept in a low layer)
without translating it; the page or e-mail that shows it translates it (``_(label)``)."""


def N_(text: str) -> str:
    return text
