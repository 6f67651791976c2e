"""Hand-written sentences with the aspects they talk about, for calibrating the matcher.

None of them is one of the default aspects' example sentences. About a quarter talk about no
aspect at all (the customer's circumstances, general praise), since the threshold must keep
those out as much as it must let the others in. `tests/insights/aspect_engine` checks the
shipped MatchConfig against this set with the packaged encoder.
"""

from __future__ import annotations

CALIBRATION_SENTENCES: tuple[tuple[str, frozenset[str]], ...] = tuple(
    (text, frozenset(aspects))
    for text, aspects in (
        ("It runs really small, I had to size up.", {"fit/size"}),
        ("The dress was way too long for me.", {"fit/size"}),
        ("Fits true to size.", {"fit/size"}),
        ("I usually wear a medium and the medium was perfect.", {"fit/size"}),
        ("The waist is cut very narrow.", {"fit/size"}),
        ("Order one size down, these are roomy.", {"fit/size"}),
        ("The stitching came undone within a week.", {"quality"}),
        ("Very well made and sturdy.", {"quality"}),
        ("It fell apart in the wash.", {"quality"}),
        ("The zip broke the second time I wore it.", {"quality"}),
        ("Solid construction, this will last for years.", {"quality"}),
        ("The fabric is so soft.", {"material/fabric"}),
        ("The material feels cheap and scratchy.", {"material/fabric"}),
        ("The linen is thin and see through.", {"material/fabric"}),
        ("Lovely heavy cotton.", {"material/fabric"}),
        ("The wool is itchy against bare skin.", {"material/fabric"}),
        ("Super comfortable for everyday wear.", {"comfort"}),
        ("It is so comfy I live in it.", {"comfort"}),
        ("Really uncomfortable, the waistband digs in.", {"comfort"}),
        ("I could sleep in this, it is that cosy.", {"comfort"}),
        ("It looks stunning on.", {"look/style"}),
        ("The cut is very flattering.", {"look/style"}),
        ("Such a cute design.", {"look/style"}),
        ("The pattern looks dated and frumpy.", {"look/style"}),
        ("I get compliments every time I wear it.", {"look/style"}),
        ("The colour is even nicer in person.", {"colour"}),
        ("The blue is much duller than in the photos.", {"colour"}),
        ("The colors faded after a couple of washes.", {"colour"}),
        ("Gorgeous rich burgundy shade.", {"colour"}),
        ("Great value for money.", {"price/value"}),
        ("Not worth the high price.", {"price/value"}),
        ("I got it on sale, a real bargain.", {"price/value"}),
        ("For this much money I expected better.", {"price/value"}),
        ("It arrived two days early.", {"delivery"}),
        ("Shipping took forever.", {"delivery"}),
        ("The package arrived damaged.", {"delivery"}),
        ("The courier left it in the rain.", {"delivery"}),
        ("The customer service team was very helpful.", {"customer service"}),
        (
            "Returning it was a nightmare and I am still waiting for my refund.",
            {"customer service"},
        ),
        ("Nobody replied to my complaint.", {"customer service"}),
        ("They swapped it for a new one without any fuss.", {"customer service"}),
        ("Great quality and fast delivery.", {"quality", "delivery"}),
        ("Soft fabric and a very flattering cut.", {"material/fabric", "look/style"}),
        ("I bought this for my sister's birthday.", set()),
        ("I have three of these now.", set()),
        ("My husband noticed it straight away.", set()),
        ("I wore it to a wedding last weekend.", set()),
        ("Will update later.", set()),
        ("Love it!", set()),
        ("Highly recommend.", set()),
        ("I am 5'4 and 130 lbs.", set()),
        ("I wanted to love this.", set()),
        ("I saw it in the shop window and had to have it.", set()),
        ("My daughter asked to borrow it.", set()),
        ("This is my second purchase from this brand.", set()),
        ("Overall I'm happy with it.", set()),
    )
)
