"""Not a test module: pytest collects nothing here."""


def make_item(name):
    return {"name": name}
