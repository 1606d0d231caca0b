"""A small labelled repository for search-quality tests: queries with the file that answers
them. Some queries name identifiers or error codes (lexical territory), some paraphrase what
the code does in other words (vector territory)."""

from __future__ import annotations

from pathlib import Path

FILES: dict[str, str] = {
    "billing/charge.py": '''def charge_credit_card(customer, amount_cents):
    """Bill the customer's card through the payment gateway; raises PaymentDeclined."""
    if amount_cents <= 0:
        raise ValueError("amount must be positive")
    return gateway.capture(customer.card_token, amount_cents)
''',
    "mail/welcome.py": '''def send_welcome_email(user):
    """Greet a person who just signed up with an introductory note in their inbox."""
    body = render_template("welcome.txt", name=user.name)
    smtp.deliver(to=user.address, subject="Welcome aboard", body=body)
''',
    "geometry/shapes.py": '''import math


def circle_area(radius):
    """Surface enclosed by a round shape."""
    return math.pi * radius ** 2


def rectangle_perimeter(width, height):
    return 2 * (width + height)
''',
    "storage/cache.py": '''class LRUCache:
    """Keeps the most recently used entries and evicts the oldest when full."""

    def __init__(self, capacity):
        self.capacity = capacity
        self.items = OrderedDict()

    def get(self, key):
        self.items.move_to_end(key)
        return self.items[key]
''',
    "net/retry.py": '''def with_backoff(call, attempts=5):
    """Try again after failures, sleeping exponentially longer between tries."""
    for attempt in range(attempts):
        try:
            return call()
        except ConnectionError:
            time.sleep(2 ** attempt)
    raise RetryExhausted("E4417: gave up")
''',
    "auth/passwords.py": '''def hash_password(plain, salt):
    """Derive a slow salted digest so stolen databases do not reveal credentials."""
    return hashlib.scrypt(plain.encode(), salt=salt, n=2**14, r=8, p=1)
''',
    "text/slug.py": '''def slugify(title):
    """Turn a headline into a lowercase url fragment with dashes."""
    return re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")
''',
    "docs/deploy.md": '''# Deploying

Build the container image, push it to the registry, then roll out with zero downtime.
Set the environment variable FIRESIDE_REGION before the rollout.
''',
}

# (query, the file that answers it)
QUERIES: list[tuple[str, str]] = [
    ("E4417", "net/retry.py"),
    ("rectangle_perimeter", "geometry/shapes.py"),
    ("FIRESIDE_REGION", "docs/deploy.md"),
    ("OrderedDict move_to_end", "storage/cache.py"),
    ("how much space does a disc cover", "geometry/shapes.py"),
    ("take money from a buyer for an order", "billing/charge.py"),
    ("message a newly registered member", "mail/welcome.py"),
    ("wait longer and longer before trying the request again", "net/retry.py"),
    ("protect stored secrets from leaking if the db is stolen", "auth/passwords.py"),
    ("make a web address friendly string from a blog post heading", "text/slug.py"),
    ("ship the service to production without an outage", "docs/deploy.md"),
    ("forget least recently used entries when capacity is reached", "storage/cache.py"),
]


def write_corpus(root: Path) -> None:
    for rel, text in FILES.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
