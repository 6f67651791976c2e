"""Seed the default aspects of clothing and general retail reviews.

The data is frozen here (not imported from insights.aspect_engine.defaults) so that later edits
of the defaults never change what this migration did. Existing aspects of the same name, which
staff may have edited, are left as they are.
"""

from django.db import migrations

DEFAULT_ASPECTS = [
    (
        "fit/size",
        "How the item fits the body and whether the size runs true, small, large, long or short.",
        [
            "It runs small, order a size up.",
            "The fit is perfect and true to size.",
            "Too tight across the chest and the sleeves are too long.",
            "It was huge on me, I had to return it for a smaller size.",
            "Fits like a glove.",
            "The length is too long and the waist too narrow for me.",
        ],
    ),
    (
        "quality",
        "How well the item is made and how it holds up: stitching, seams, durability, defects, "
        "falling apart.",
        [
            "The quality is excellent, very well made.",
            "The seams came apart after one wash.",
            "Cheaply made, a button fell off the first day.",
            "It still looks new after many washes.",
            "Poor workmanship with loose threads everywhere.",
            "The zipper broke after a week.",
            "Durable, it will last for years.",
        ],
    ),
    (
        "material/fabric",
        "The material or fabric itself: how it feels, its thickness, softness, stretch, whether "
        "it is see-through or scratchy.",
        [
            "The fabric is soft and thick.",
            "The material is thin and see-through.",
            "Lovely cotton that feels nice against the skin.",
            "The knit is itchy and scratchy.",
            "Nice stretchy material.",
        ],
    ),
    (
        "comfort",
        "How comfortable the item is to wear all day.",
        [
            "So comfortable, I could wear it all day.",
            "Very uncomfortable to sit in.",
            "It feels cosy and comfy.",
            "The straps dig in and hurt after an hour.",
        ],
    ),
    (
        "look/style",
        "How the item looks: style, design, cut, pattern, print, how flattering or pretty it is.",
        [
            "It looks gorgeous and very flattering.",
            "The design is elegant and stylish.",
            "The print is pretty.",
            "It looks frumpy and unflattering on me.",
            "It looks nothing like the picture.",
            "I got so many compliments on it.",
        ],
    ),
    (
        "colour",
        "The colour of the item and whether it matches the photos or fades.",
        [
            "The colour is vibrant and exactly as pictured.",
            "The red faded after one wash.",
            "The colour was much darker than the photo.",
            "Love the shade of blue.",
        ],
    ),
    (
        "price/value",
        "The price and whether the item is worth the money.",
        [
            "Great value for the price.",
            "Way too expensive for what you get.",
            "Worth every penny.",
            "Overpriced, not worth the money.",
            "I expected better for the money.",
        ],
    ),
    (
        "delivery",
        "Shipping and delivery: how fast the parcel arrived and its packaging.",
        [
            "Delivery was quick, it arrived the next day.",
            "The parcel took three weeks to arrive.",
            "It came well packaged.",
            "Shipping was slow and the box was damaged.",
            "The courier left the parcel outside.",
        ],
    ),
    (
        "customer service",
        "Customer service, returns and refunds: how the store's staff handled questions and "
        "problems.",
        [
            "Customer service was helpful and sorted my return quickly.",
            "Nobody answered my emails about the refund.",
            "The return process was easy.",
            "The staff were rude when I called.",
            "They replaced the faulty one straight away.",
        ],
    ),
]


def seed_aspects(apps, schema_editor):
    Aspect = apps.get_model("insights", "Aspect")
    for name, description, examples in DEFAULT_ASPECTS:
        Aspect.objects.get_or_create(
            name=name, defaults={"description": description, "examples": "\n".join(examples)}
        )


def remove_untouched_aspects(apps, schema_editor):
    Aspect = apps.get_model("insights", "Aspect")
    for name, description, examples in DEFAULT_ASPECTS:
        Aspect.objects.filter(
            name=name, description=description, examples="\n".join(examples)
        ).delete()


class Migration(migrations.Migration):
    dependencies = [("insights", "0001_initial")]

    operations = [migrations.RunPython(seed_aspects, remove_untouched_aspects)]
