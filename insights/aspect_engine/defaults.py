"""The default aspects of clothing and general retail reviews.

Each has a description and example sentences (what the encoder compares review sentences
with) and keyword hints (stems that nudge the similarity up when a sentence names the aspect
outright). Staff edit names, descriptions and examples in the admin; keyword hints apply to
aspects whose name is one of these defaults, plus the words of every aspect's own name.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class DefaultAspect:
    name: str
    description: str
    examples: tuple[str, ...]
    keywords: tuple[str, ...]


DEFAULT_ASPECTS: tuple[DefaultAspect, ...] = (
    DefaultAspect(
        name="fit/size",
        description="How the item fits the body and whether the size runs true, small, "
        "large, long or short.",
        examples=(
            "It runs small, order a size up.",
            "The fit is perfect and true to size.",
            "Too tight across the chest and the sleeves are too long.",
            "It was huge on me, I had to return it for a smaller size.",
            "Fits like a glove.",
            "The length is too long and the waist too narrow for me.",
        ),
        keywords=(
            "fit",
            "fits",
            "fitted",
            "size",
            "sizing",
            "small",
            "large",
            "tight",
            "loose",
            "baggy",
            "petite",
            "length",
            "snug",
        ),
    ),
    DefaultAspect(
        name="quality",
        description="How well the item is made and how it holds up: stitching, seams, "
        "durability, defects, falling apart.",
        examples=(
            "The quality is excellent, very well made.",
            "The seams came apart after one wash.",
            "Cheaply made, a button fell off the first day.",
            "It still looks new after many washes.",
            "Poor workmanship with loose threads everywhere.",
            "The zipper broke after a week.",
            "Durable, it will last for years.",
        ),
        keywords=(
            "quality",
            "made",
            "stitching",
            "seam",
            "seams",
            "durable",
            "ripped",
            "torn",
            "hole",
            "pilling",
            "pilled",
            "flimsy",
            "sturdy",
            "workmanship",
        ),
    ),
    DefaultAspect(
        name="material/fabric",
        description="The material or fabric itself: how it feels, its thickness, softness, "
        "stretch, whether it is see-through or scratchy.",
        examples=(
            "The fabric is soft and thick.",
            "The material is thin and see-through.",
            "Lovely cotton that feels nice against the skin.",
            "The knit is itchy and scratchy.",
            "Nice stretchy material.",
        ),
        keywords=(
            "fabric",
            "material",
            "cotton",
            "linen",
            "silk",
            "wool",
            "polyester",
            "knit",
            "thin",
            "thick",
            "soft",
            "itchy",
            "scratchy",
            "sheer",
            "stretchy",
        ),
    ),
    DefaultAspect(
        name="comfort",
        description="How comfortable the item is to wear all day.",
        examples=(
            "So comfortable, I could wear it all day.",
            "Very uncomfortable to sit in.",
            "It feels cosy and comfy.",
            "The straps dig in and hurt after an hour.",
        ),
        keywords=("comfortable", "comfy", "comfort", "uncomfortable", "cosy", "cozy"),
    ),
    DefaultAspect(
        name="look/style",
        description="How the item looks: style, design, cut, pattern, print, how flattering "
        "or pretty it is.",
        examples=(
            "It looks gorgeous and very flattering.",
            "The design is elegant and stylish.",
            "The print is pretty.",
            "It looks frumpy and unflattering on me.",
            "It looks nothing like the picture.",
            "I got so many compliments on it.",
        ),
        keywords=(
            "look",
            "looks",
            "style",
            "stylish",
            "design",
            "flattering",
            "unflattering",
            "pretty",
            "gorgeous",
            "beautiful",
            "cute",
            "print",
            "pattern",
            "elegant",
        ),
    ),
    DefaultAspect(
        name="colour",
        description="The colour of the item and whether it matches the photos or fades.",
        examples=(
            "The colour is vibrant and exactly as pictured.",
            "The red faded after one wash.",
            "The colour was much darker than the photo.",
            "Love the shade of blue.",
        ),
        keywords=(
            "colour",
            "color",
            "colours",
            "colors",
            "shade",
            "faded",
            "fade",
            "red",
            "blue",
            "green",
            "black",
            "white",
            "pink",
            "navy",
            "vibrant",
        ),
    ),
    DefaultAspect(
        name="price/value",
        description="The price and whether the item is worth the money.",
        examples=(
            "Great value for the price.",
            "Way too expensive for what you get.",
            "Worth every penny.",
            "Overpriced, not worth the money.",
            "I expected better for the money.",
        ),
        keywords=(
            "price",
            "priced",
            "value",
            "expensive",
            "cheap",
            "worth",
            "overpriced",
            "money",
            "cost",
            "bargain",
            "sale",
        ),
    ),
    DefaultAspect(
        name="delivery",
        description="Shipping and delivery: how fast the parcel arrived and its packaging.",
        examples=(
            "Delivery was quick, it arrived the next day.",
            "The parcel took three weeks to arrive.",
            "It came well packaged.",
            "Shipping was slow and the box was damaged.",
            "The courier left the parcel outside.",
        ),
        keywords=(
            "delivery",
            "delivered",
            "shipping",
            "shipped",
            "arrived",
            "arrive",
            "parcel",
            "package",
            "packaging",
            "courier",
            "dispatch",
        ),
    ),
    DefaultAspect(
        name="customer service",
        description="Customer service, returns and refunds: how the store's staff handled "
        "questions and problems.",
        examples=(
            "Customer service was helpful and sorted my return quickly.",
            "Nobody answered my emails about the refund.",
            "The return process was easy.",
            "The staff were rude when I called.",
            "They replaced the faulty one straight away.",
        ),
        keywords=(
            "service",
            "customer",
            "return",
            "returns",
            "refund",
            "exchange",
            "staff",
            "support",
            "helpful",
            "rude",
            "email",
            "emails",
        ),
    ),
)
