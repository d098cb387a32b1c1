"""Numbers as people read them, the same in every output."""


def human_size(n: int | None) -> str:
    """Bytes as kB below a megabyte, MB above; ? when unknown."""
    if n is None:
        return "?"
    return f"{n / 1024:,.0f} kB" if n < 1024 * 1024 else f"{n / 1048576:,.1f} MB"
