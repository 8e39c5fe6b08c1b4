"""The one case table of the glob grammar shared by the SDK (include/exclude patterns and
``.bucketryignore``: ``bucketry.transfer.filters.glob_to_regex``) and the server (``glob=`` of
a listing: ``bucketry_server.globbing``). Each case is ``(pattern, key, matches)`` for a match
of the whole key. ``KNOWN_DIFFERENCES`` lists the patterns whose meaning differs today, with
the reason; ``tests/test_glob_grammar.py`` runs the table against both matchers."""

from __future__ import annotations

CASES: list[tuple[str, str, bool]] = [
    # literal
    ("a.txt", "a.txt", True),
    ("a.txt", "a_txt", False),
    ("a.txt", "dir/a.txt", False),
    ("dir/a.txt", "dir/a.txt", True),
    # * stays in one segment
    ("*.txt", "a.txt", True),
    ("*.txt", ".txt", True),
    ("*.txt", "dir/a.txt", False),
    ("dir/*", "dir/a", True),
    ("dir/*", "dir/a/b", False),
    ("dir/*", "dir/", True),
    ("a*b", "ab", True),
    ("a*b", "axxb", True),
    ("a*b", "a/b", False),
    # ? is one character of a segment
    ("?.txt", "a.txt", True),
    ("?.txt", "ab.txt", False),
    ("a?b", "a/b", False),
    ("a?b", "aéb", True),
    # ** spans segments
    ("**", "a", True),
    ("**", "a/b/c", True),
    ("**/*.png", "x.png", True),
    ("**/*.png", "a/b/x.png", True),
    ("**/*.png", "a/b/x.jpg", False),
    ("raw/**/*.png", "raw/a.png", True),
    ("raw/**/*.png", "raw/x/y/a.png", True),
    ("raw/**/*.png", "rawx/a.png", False),
    ("raw/**", "raw/a", True),
    ("raw/**", "raw/a/b", True),
    ("raw/**", "raw", False),
    ("a**b", "a/x/b", True),
    ("a/**/b", "a/b", True),
    ("a/**/b", "a/x/y/b", True),
    ("a/**/b", "a/xb", False),
    ("***", "a/b", True),
    # character classes
    ("[ab].txt", "a.txt", True),
    ("[ab].txt", "c.txt", False),
    ("[!ab].txt", "c.txt", True),
    ("[!ab].txt", "a.txt", False),
    ("[^ab].txt", "c.txt", True),
    ("[a-c]x", "bx", True),
    ("[a-c]x", "dx", False),
    ("[]]x", "]x", True),
    ("[!/]x", "/x", False),
    ("a[/]b", "a/b", False),
    ("[a^]x", "^x", True),
    ("[a^]x", "bx", False),
    # an unclosed [ is a literal
    ("[ab", "[ab", True),
    ("[ab", "a", False),
    # regex metacharacters are literal
    ("a+b(c)", "a+b(c)", True),
    ("a.b", "axb", False),
    ("$x^", "$x^", True),
    # unicode and spaces
    ("日本/*", "日本/語", True),
    ("a b/*", "a b/c d", True),
    ("é*", "éa", True),
    # newlines in keys are characters like any other
    ("a*", "a\nb", True),
]

#: Patterns whose meaning differs between the two matchers today (pattern -> why).
KNOWN_DIFFERENCES: dict[str, str] = {
    "a\\*b": (
        "the SDK follows .gitignore: a backslash escapes the next character (a\\*b matches"
        " the key 'a*b'); the server matches a backslash literally"
    ),
}

#: Cases for the known differences: (pattern, key, SDK verdict, server verdict).
DIFFERENCE_CASES: list[tuple[str, str, bool, bool]] = [
    ("a\\*b", "a*b", True, False),
    ("a\\*b", "a\\xb", False, True),
]
