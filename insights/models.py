from django.conf import settings
from django.db import models
from django.db.models import F, Q

from insights.customer_engine.rfm import SEGMENT_RULES


class Sentiment(models.TextChoices):
    NEGATIVE = "negative", "Negative"
    NEUTRAL = "neutral", "Neutral"
    POSITIVE = "positive", "Positive"


class ReviewSentiment(models.Model):
    """The current sentiment score of one review, and the model version that produced it."""

    review = models.OneToOneField("shop.Review", on_delete=models.CASCADE, related_name="sentiment")
    label = models.CharField(max_length=16, choices=Sentiment.choices)
    probabilities = models.JSONField(default=dict)
    model_version = models.ForeignKey("ml.ModelVersion", on_delete=models.PROTECT, related_name="+")
    scored_at = models.DateTimeField()

    class Meta:
        indexes = [
            models.Index(fields=["label"], name="reviewsentiment_label"),
            models.Index(fields=["model_version"], name="reviewsentiment_version"),
        ]

    def __str__(self) -> str:
        return f"{self.label} (review {self.review_id})"


class ReviewLabelCorrection(models.Model):
    """A sentiment label set by staff; it wins over the rating-derived label in training."""

    review = models.OneToOneField(
        "shop.Review", on_delete=models.CASCADE, related_name="label_correction"
    )
    label = models.CharField(max_length=16, choices=Sentiment.choices)
    corrected_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    corrected_at = models.DateTimeField(auto_now=True)

    def __str__(self) -> str:
        return f"review {self.review_id} -> {self.label}"


class Aspect(models.Model):
    """Something reviews talk about (fit, quality, delivery...), editable by staff."""

    name = models.CharField(max_length=60, unique=True)
    description = models.TextField(help_text="What a sentence about this aspect says.")
    examples = models.TextField(
        blank=True, help_text="Example sentences, one per line; they sharpen matching."
    )
    is_active = models.BooleanField(default=True)

    class Meta:
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name

    @property
    def example_list(self) -> list[str]:
        return [line.strip() for line in self.examples.splitlines() if line.strip()]


class AspectMention(models.Model):
    """One sentence of a review that expresses an opinion on an aspect: the evidence."""

    review = models.ForeignKey("shop.Review", on_delete=models.CASCADE, related_name="aspects")
    aspect = models.ForeignKey(Aspect, on_delete=models.CASCADE, related_name="mentions")
    sentence = models.TextField()
    sentence_index = models.PositiveSmallIntegerField()
    label = models.CharField(max_length=16, choices=Sentiment.choices)
    similarity = models.FloatField(help_text="Cosine similarity of the sentence to the aspect.")
    model_version = models.ForeignKey(
        "ml.ModelVersion", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(
                fields=["review", "aspect", "sentence_index"], name="aspectmention_unique"
            ),
        ]
        indexes = [
            models.Index(fields=["aspect", "label"], name="aspectmention_aspect_label"),
        ]

    def __str__(self) -> str:
        return f"{self.aspect_id}: {self.label}"


class SentimentAlert(models.Model):
    """Negative opinions on a product (or one of its aspects) rose above their own history."""

    class Status(models.TextChoices):
        OPEN = "open", "Open"
        ACKNOWLEDGED = "acknowledged", "Acknowledged"
        DISMISSED = "dismissed", "Dismissed"

    product = models.ForeignKey("shop.Product", on_delete=models.CASCADE, related_name="+")
    aspect = models.ForeignKey(
        Aspect, null=True, blank=True, on_delete=models.CASCADE, related_name="alerts"
    )
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.OPEN)
    window_start = models.DateField()
    window_end = models.DateField()
    recent_negative = models.PositiveIntegerField()
    recent_total = models.PositiveIntegerField()
    baseline_negative = models.PositiveIntegerField()
    baseline_total = models.PositiveIntegerField()
    statistic = models.FloatField(help_text="Test statistic (see `test`).")
    p_value = models.FloatField()
    test = models.CharField(max_length=120)
    evidence = models.JSONField(default=list, help_text="[{review_id, sentence}] examples.")
    created_at = models.DateTimeField(auto_now_add=True)
    resolved_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    resolved_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(
                fields=["product", "aspect"],
                condition=Q(status="open", aspect__isnull=False),
                name="sentimentalert_one_open_per_aspect",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="open", aspect__isnull=True),
                name="sentimentalert_one_open_per_product",
            ),
        ]
        indexes = [models.Index(fields=["status", "-created_at"], name="sentimentalert_status")]

    def __str__(self) -> str:
        return f"alert on product {self.product_id} ({self.status})"

    @property
    def recent_share(self) -> float:
        return self.recent_negative / self.recent_total if self.recent_total else 0.0

    @property
    def baseline_share(self) -> float:
        return self.baseline_negative / self.baseline_total if self.baseline_total else 0.0


class ProductReviewSummary(models.Model):
    """Pros and cons of a product, written by the generator from aspect evidence only."""

    product = models.OneToOneField(
        "shop.Product", on_delete=models.CASCADE, related_name="review_summary"
    )
    pros = models.JSONField(default=list, help_text="[{aspect, text, count, review_ids}]")
    cons = models.JSONField(default=list, help_text="[{aspect, text, count, review_ids}]")
    text = models.TextField(blank=True)
    reviews_covered = models.PositiveIntegerField(default=0)
    generator = models.CharField(max_length=255, blank=True)
    generated_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"summary of product {self.product_id}"


# --- customer segments and value ----------------------------------------------------------


SEGMENT_CHOICES = [(rule.key, rule.name) for rule in SEGMENT_RULES]


class CustomerValueRun(models.Model):
    """One recompute of the customer scores: its as-of date, the fitted BG/NBD and Gamma-Gamma
    models with their fit diagnostics, and the job that ran it (none when run by a command).

    The model parameters are null when a model could not be fitted (no customer with a repeat
    purchase); `notes` says why.
    """

    as_of = models.DateField(help_text="Orders placed up to the end of this day were used.")
    job = models.ForeignKey(
        "ml.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    period = models.CharField(max_length=8, help_text="Time unit of the BG/NBD parameters.")
    horizon_months = models.PositiveSmallIntegerField(
        help_text="Horizon of expected purchases and lifetime value."
    )
    monthly_discount_rate = models.FloatField()
    customers = models.PositiveIntegerField(help_text="Customers scored.")
    orders = models.PositiveIntegerField(help_text="Orders read (cancelled and returned left out).")
    bg_nbd_params = models.JSONField(null=True, blank=True, help_text="{r, alpha, a, b}")
    bg_nbd_converged = models.BooleanField(null=True, blank=True)
    bg_nbd_log_likelihood = models.FloatField(null=True, blank=True)
    bg_nbd_customers = models.PositiveIntegerField(null=True, blank=True)
    gamma_gamma_params = models.JSONField(null=True, blank=True, help_text="{p, q, gamma}")
    gamma_gamma_converged = models.BooleanField(null=True, blank=True)
    gamma_gamma_log_likelihood = models.FloatField(null=True, blank=True)
    gamma_gamma_customers = models.PositiveIntegerField(null=True, blank=True)
    notes = models.TextField(blank=True)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at"], name="customervaluerun_created")]

    def __str__(self) -> str:
        return f"customer scores as of {self.as_of} (run {self.pk})"


class CustomerScore(models.Model):
    """A customer's current RFM scores, segment, churn risk and expected value.

    One row per customer with at least one spent order (cancelled and returned orders do not
    count) who allows profiling; each recompute replaces every row and deletes the rows of
    customers it no longer scores. The value fields are null when the run could not fit the
    model they come from (see the run's notes).
    """

    customer = models.OneToOneField(
        "shop.Customer", on_delete=models.CASCADE, related_name="value_score"
    )
    run = models.ForeignKey(CustomerValueRun, on_delete=models.PROTECT, related_name="scores")
    recency_days = models.PositiveIntegerField(help_text="Days since the last order.")
    frequency = models.PositiveIntegerField(help_text="Orders.")
    monetary = models.DecimalField(
        max_digits=14, decimal_places=2, help_text="Total value of the orders."
    )
    r_score = models.PositiveSmallIntegerField()
    f_score = models.PositiveSmallIntegerField()
    m_score = models.PositiveSmallIntegerField()
    segment = models.CharField(max_length=32, blank=True, choices=SEGMENT_CHOICES)
    probability_alive = models.FloatField(null=True, blank=True)
    churn_risk = models.FloatField(null=True, blank=True, help_text="1 - P(alive).")
    expected_purchases = models.FloatField(
        null=True, blank=True, help_text="Expected purchase days over the run's horizon."
    )
    expected_spend = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Expected value of one purchase (Gamma-Gamma).",
    )
    clv = models.DecimalField(
        max_digits=14,
        decimal_places=2,
        null=True,
        blank=True,
        help_text="Discounted expected spend over the run's horizon.",
    )
    computed_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(r_score__range=(1, 5), f_score__range=(1, 5), m_score__range=(1, 5)),
                name="customerscore_rfm_scores_1_to_5",
            ),
            models.CheckConstraint(
                condition=Q(churn_risk__isnull=True) | Q(churn_risk__range=(0, 1)),
                name="customerscore_churn_risk_0_to_1",
            ),
        ]
        indexes = [
            models.Index(fields=["segment", "-clv"], name="customerscore_segment_clv"),
            models.Index(fields=["-clv"], name="customerscore_clv"),
            models.Index(fields=["-churn_risk"], name="customerscore_churn_risk"),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id}: {self.segment or 'no segment'}"

    @property
    def rfm_cell(self) -> str:
        return f"{self.r_score}{self.f_score}{self.m_score}"


class CustomerSegmentSnapshot(models.Model):
    """How many customers each segment held on one day, for the segments-over-time chart.

    Written by every recompute for its as-of date (a second run on the same day replaces the
    day's rows), one row per segment, zero counts included.
    """

    date = models.DateField()
    segment = models.CharField(max_length=32, blank=True, choices=SEGMENT_CHOICES)
    customers = models.PositiveIntegerField()
    mean_clv = models.DecimalField(max_digits=14, decimal_places=2, null=True, blank=True)
    run = models.ForeignKey(
        CustomerValueRun,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="snapshots",
    )

    class Meta:
        ordering = ["-date", "segment"]
        constraints = [
            models.UniqueConstraint(
                fields=["date", "segment"], name="customersegmentsnapshot_one_per_day"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.segment} on {self.date}: {self.customers}"


# --- sales forecasts (insights.forecast_engine, insights.services.forecasts) ---------------


class SalesForecastRun(models.Model):
    """One run of the `sales_forecast` job: what was forecast, how, and how well each candidate
    model did in cross-validation. Its series are the current forecasts while it is the latest
    run; older runs keep their parameters and metrics, their series are replaced."""

    class Frequency(models.TextChoices):
        WEEK = "W", "weekly"
        DAY = "D", "daily"

    as_of = models.DateField(help_text="Orders up to the end of this day were read.")
    job = models.ForeignKey(
        "ml.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    frequency = models.CharField(max_length=1, choices=Frequency.choices)
    horizon = models.PositiveSmallIntegerField(help_text="Periods forecast ahead.")
    season_length = models.PositiveSmallIntegerField()
    params = models.JSONField(default=dict, help_text="The engine's configuration.")
    series_count = models.PositiveIntegerField(default=0)
    model_metrics = models.JSONField(
        default=dict,
        help_text="Per candidate model: series it was fitted on, series it was chosen for, "
        "mean cross-validated scaled error.",
    )
    interval_quantiles = models.JSONField(default=dict)
    notes = models.TextField(blank=True)
    seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="salesforecastrun_latest")]

    def __str__(self) -> str:
        return f"sales forecast of {self.as_of} ({self.get_frequency_display()})"


class SalesForecast(models.Model):
    """The forecast of one product's or one category's units sold, with the model chosen for
    it, its cross-validated errors and the recent history it was fitted on (for the chart)."""

    class Kind(models.TextChoices):
        PRODUCT = "product", "product"
        CATEGORY = "category", "category"

    run = models.ForeignKey(SalesForecastRun, on_delete=models.CASCADE, related_name="series")
    kind = models.CharField(max_length=16, choices=Kind.choices)
    product = models.ForeignKey(
        "shop.Product", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    category = models.ForeignKey(
        "shop.Category", null=True, blank=True, on_delete=models.CASCADE, related_name="+"
    )
    tier = models.CharField(
        max_length=16,
        help_text="Tier of the engine: by history length, or intermittent (sparse sales).",
    )
    model = models.CharField(max_length=32, help_text="The model chosen by cross-validation.")
    baseline = models.CharField(max_length=32)
    cv_scaled_error = models.JSONField(
        default=dict,
        help_text="Cross-validated error of every candidate (the run's selection metric, MAE or "
        "RMSE) divided by `scale`.",
    )
    scale = models.FloatField(help_text="In-sample seasonal naive MAE (units per period).")
    history_length = models.PositiveIntegerField()
    history = models.JSONField(
        default=list, help_text="[[period start, units]] of the most recent periods."
    )

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=(Q(kind="product", product__isnull=False, category__isnull=True))
                | Q(kind="category", category__isnull=False, product__isnull=True),
                name="salesforecast_kind_matches_target",
            ),
            models.UniqueConstraint(
                fields=["run", "product"], name="salesforecast_one_per_product"
            ),
            models.UniqueConstraint(
                fields=["run", "category"], name="salesforecast_one_per_category"
            ),
        ]
        indexes = [models.Index(fields=["run", "kind"], name="salesforecast_run_kind")]

    def __str__(self) -> str:
        return f"{self.kind} {self.product_id or self.category_id}: {self.model}"


class SalesForecastPoint(models.Model):
    """One forecast period: point forecast, 80% and 95% prediction intervals, peak/trough."""

    class Flag(models.TextChoices):
        NONE = "", "—"
        PEAK = "peak", "peak"
        TROUGH = "trough", "trough"

    forecast = models.ForeignKey(SalesForecast, on_delete=models.CASCADE, related_name="points")
    period = models.DateField(help_text="First day of the period.")
    step = models.PositiveSmallIntegerField()
    point = models.FloatField()
    lo80 = models.FloatField()
    hi80 = models.FloatField()
    lo95 = models.FloatField()
    hi95 = models.FloatField()
    flag = models.CharField(max_length=8, blank=True, choices=Flag.choices)

    class Meta:
        ordering = ["forecast", "step"]
        constraints = [
            models.UniqueConstraint(fields=["forecast", "step"], name="salesforecastpoint_step"),
            models.CheckConstraint(
                condition=Q(lo95__lte=models.F("lo80"))
                & Q(lo80__lte=models.F("hi80"))
                & Q(hi80__lte=models.F("hi95")),
                name="salesforecastpoint_nested_intervals",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.period}: {self.point:.1f}"


# --- purchase propensity (insights.propensity_engine, insights.services.propensity) --------


class PurchasePropensity(models.Model):
    """A customer's probability of ordering within the model's horizon, with the reasons
    behind it, from the champion `purchase_propensity` model version that scored it.

    One row per customer who allows profiling; each scoring replaces every row and deletes
    those of customers it no longer scores.
    """

    customer = models.OneToOneField(
        "shop.Customer", on_delete=models.CASCADE, related_name="purchase_propensity"
    )
    model_version = models.ForeignKey("ml.ModelVersion", on_delete=models.PROTECT, related_name="+")
    probability = models.FloatField(help_text="P(an order within horizon_days).")
    horizon_days = models.PositiveSmallIntegerField()
    reasons = models.JSONField(
        default=list,
        help_text="[{feature, label, value, effect, direction}]: the largest contributions to "
        "the log-odds (integrated gradients from the average customer).",
    )
    scored_at = models.DateTimeField()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(probability__range=(0, 1)),
                name="purchasepropensity_probability_0_to_1",
            ),
        ]
        indexes = [models.Index(fields=["-probability"], name="purchasepropensity_probability")]

    def __str__(self) -> str:
        return f"customer {self.customer_id}: {self.probability:.0%} in {self.horizon_days} days"


# --- behaviour clusters and search insights (insights.services.clusters, search_insights) --


class BehaviourClusterRun(models.Model):
    """One run of the `behaviour_clusters` job: its customers, features, the k chosen (with
    the silhouette of every k tried) and notes. Each run is new: its clusters carry their own
    names, so a staff rename applies to that run only."""

    as_of = models.DateField(help_text="Orders and events up to the end of this day were read.")
    job = models.ForeignKey(
        "ml.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    k = models.PositiveSmallIntegerField()
    silhouette = models.FloatField(null=True, blank=True)
    silhouettes = models.JSONField(default=dict, help_text="{k: silhouette} of every k tried.")
    features = models.JSONField(default=list, help_text="Feature names, in matrix order.")
    params = models.JSONField(default=dict)
    customers = models.PositiveIntegerField(default=0)
    notes = models.TextField(blank=True)
    seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="clusterrun_latest")]

    def __str__(self) -> str:
        return f"behaviour clusters of {self.as_of} (run {self.pk})"


class BehaviourCluster(models.Model):
    """One cluster of a run: its name (and who gave it), size, facts and centroid."""

    class NameSource(models.TextChoices):
        RULE = "rule", "built from the facts"
        GENERATOR = "generator", "generator"
        STAFF = "staff", "staff"

    run = models.ForeignKey(BehaviourClusterRun, on_delete=models.CASCADE, related_name="clusters")
    number = models.PositiveSmallIntegerField()
    name = models.CharField(max_length=80)
    name_source = models.CharField(max_length=16, choices=NameSource.choices)
    rule_name = models.CharField(max_length=80, help_text="The name built from the facts.")
    size = models.PositiveIntegerField()
    facts = models.JSONField(default=dict)
    centroid = models.JSONField(
        default=dict, help_text="{feature: mean standardised value} of the members."
    )
    renamed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )

    class Meta:
        ordering = ["run", "number"]
        constraints = [
            models.UniqueConstraint(fields=["run", "number"], name="behaviourcluster_number"),
        ]

    def __str__(self) -> str:
        return self.name


class BehaviourClusterAssignment(models.Model):
    """A customer's cluster in the latest run (each run replaces every row)."""

    customer = models.OneToOneField(
        "shop.Customer", on_delete=models.CASCADE, related_name="behaviour_cluster"
    )
    run = models.ForeignKey(BehaviourClusterRun, on_delete=models.CASCADE, related_name="+")
    cluster = models.ForeignKey(
        BehaviourCluster, on_delete=models.CASCADE, related_name="assignments"
    )
    distance = models.FloatField(help_text="Euclidean distance to the cluster's centre.")

    class Meta:
        indexes = [
            models.Index(fields=["cluster", "distance"], name="clusterassignment_cluster"),
        ]

    def __str__(self) -> str:
        return f"customer {self.customer_id} in cluster {self.cluster_id}"


class SearchInsightRun(models.Model):
    """One run of the `search_insights` job: the weeks read, the rules' parameters and the
    store's weekly search volume (for the chart)."""

    as_of = models.DateField(help_text="Searches up to the end of this day were read.")
    job = models.ForeignKey(
        "ml.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    weeks = models.PositiveSmallIntegerField()
    params = models.JSONField(default=dict, help_text="Thresholds and the rising rule.")
    searches = models.PositiveIntegerField(default=0)
    distinct_queries = models.PositiveIntegerField(default=0)
    week_starts = models.JSONField(default=list, help_text="First day of each week, oldest first.")
    weekly_volume = models.JSONField(default=list, help_text="Searches per week, oldest first.")
    weekly_unmet = models.JSONField(default=list, help_text="Unmet searches per week.")
    notes = models.TextField(blank=True)
    seconds = models.FloatField(default=0.0)
    created_at = models.DateTimeField()

    class Meta:
        ordering = ["-created_at", "-pk"]
        indexes = [models.Index(fields=["-created_at", "-id"], name="searchrun_latest")]

    def __str__(self) -> str:
        return f"search insights of {self.as_of} (run {self.pk})"


class SearchTopic(models.Model):
    """A group of search queries with one meaning: a topic of all searches, or a group of
    queries that find no matching product (unmet demand)."""

    class Kind(models.TextChoices):
        TOPIC = "topic", "topic"
        UNMET = "unmet", "unmet demand"

    run = models.ForeignKey(SearchInsightRun, on_delete=models.CASCADE, related_name="topics")
    kind = models.CharField(max_length=8, choices=Kind.choices)
    label = models.CharField(max_length=255)
    volume = models.PositiveIntegerField(help_text="Searches over the run's weeks.")
    distinct_queries = models.PositiveIntegerField()
    examples = models.JSONField(default=list, help_text="[[query, searches]], most searched first.")
    weekly = models.JSONField(default=list, help_text="Searches per week, oldest first.")
    this_week = models.PositiveIntegerField()
    baseline_mean = models.FloatField()
    growth = models.FloatField(help_text="(this week + 1) / (baseline mean + 1).")
    rising = models.BooleanField()
    best_similarity = models.FloatField(
        null=True, blank=True, help_text="Unmet groups: the highest query-product similarity."
    )

    class Meta:
        ordering = ["run", "kind", "-volume"]
        indexes = [
            models.Index(fields=["run", "kind", "-volume"], name="searchtopic_volume"),
            models.Index(fields=["run", "kind", "-growth"], name="searchtopic_growth"),
        ]

    def __str__(self) -> str:
        return f"{self.kind}: {self.label}"


# --- campaign effect (insights.selectors.campaign_effect, insights.services.campaign_effect) -


class CampaignEffect(models.Model):
    """A campaign's incremental units and revenue per campaign product as of one day: so far
    while it runs, final once it has ended (difference in differences on products, 95%
    intervals). Written nightly; `note` says why a day could not be measured (the effect
    fields are then null)."""

    campaign = models.ForeignKey(
        "marketing.Campaign", on_delete=models.CASCADE, related_name="effects"
    )
    as_of = models.DateField(help_text="Sales up to the end of this day were read.")
    final = models.BooleanField(help_text="The campaign had ended by as_of.")
    campaign_products = models.PositiveIntegerField(default=0)
    control_products = models.PositiveIntegerField(default=0)
    units_effect = models.FloatField(null=True, blank=True)
    units_low = models.FloatField(null=True, blank=True)
    units_high = models.FloatField(null=True, blank=True)
    revenue_effect = models.FloatField(null=True, blank=True)
    revenue_low = models.FloatField(null=True, blank=True)
    revenue_high = models.FloatField(null=True, blank=True)
    note = models.TextField(blank=True)
    computed_at = models.DateTimeField()

    class Meta:
        ordering = ["campaign", "-as_of"]
        constraints = [
            models.UniqueConstraint(
                fields=["campaign", "as_of"], name="campaigneffect_one_per_day"
            ),
            models.CheckConstraint(
                condition=Q(units_effect__isnull=True)
                | (Q(units_low__lte=F("units_effect")) & Q(units_effect__lte=F("units_high"))),
                name="campaigneffect_units_in_interval",
            ),
        ]

    def __str__(self) -> str:
        return f"effect of campaign {self.campaign_id} as of {self.as_of}"

    @property
    def units_significant(self) -> bool:
        return self.units_low is not None and (self.units_low > 0 or self.units_high < 0)


# --- price suggestions (insights.forecast_engine.pricing, insights.services.pricing) --------


class PriceSuggestion(models.Model):
    """A proposed price for one product, with the elasticity it rests on and the expected
    effect of the change (ratios of new to current per week, each with its 95% range over
    the elasticity's interval).

    Written by `price_suggestions_recompute` as `proposed`; only a person changes the price,
    by approving it (`price_suggestion_approve`), or turns it down. At most one proposal per
    product is open; a recompute replaces the open ones, decided ones stay as the record.
    """

    class Status(models.TextChoices):
        PROPOSED = "proposed", "Proposed"
        APPROVED = "approved", "Approved"
        REJECTED = "rejected", "Rejected"

    class Scope(models.TextChoices):
        PRODUCT = "product", "the product alone"
        CATEGORY = "category", "its category, pooled"

    product = models.ForeignKey("shop.Product", on_delete=models.CASCADE, related_name="+")
    status = models.CharField(max_length=16, choices=Status.choices, default=Status.PROPOSED)
    current_price = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The product's price when proposed."
    )
    suggested_price = models.DecimalField(max_digits=12, decimal_places=2)
    unit_cost = models.DecimalField(
        max_digits=12, decimal_places=2, help_text="The product's unit cost when proposed."
    )
    reason = models.CharField(max_length=255, help_text="Why this price (the engine's words).")
    elasticity = models.FloatField(help_text="Change in log units per change in log price.")
    elasticity_se = models.FloatField(help_text="Standard error of the elasticity.")
    scope = models.CharField(
        max_length=16,
        choices=Scope.choices,
        help_text="What the elasticity was estimated on: the product's own price changes, or "
        "those of every product of its category (each with its own level).",
    )
    scope_category = models.ForeignKey(
        "shop.Category", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    observations = models.PositiveIntegerField(help_text="Weeks with sales in the estimate.")
    products_pooled = models.PositiveIntegerField(
        help_text="Products whose price changes the estimate used."
    )
    quantity_per_week = models.FloatField(help_text="Units a week at the current price.")
    quantity_ratio = models.FloatField(help_text="Expected units at the new price / now.")
    quantity_ratio_low = models.FloatField()
    quantity_ratio_high = models.FloatField()
    revenue_ratio = models.FloatField()
    revenue_ratio_low = models.FloatField()
    revenue_ratio_high = models.FloatField()
    profit_ratio = models.FloatField(
        null=True, blank=True, help_text="Empty when the current price makes no profit."
    )
    profit_ratio_low = models.FloatField(null=True, blank=True)
    profit_ratio_high = models.FloatField(null=True, blank=True)
    profit_change_per_week = models.FloatField(help_text="In money, at the expected elasticity.")
    profit_change_per_week_low = models.FloatField()
    profit_change_per_week_high = models.FloatField()
    job = models.ForeignKey(
        "ml.Job", null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField()
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-created_at", "-pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(status__in=["proposed", "approved", "rejected"]),
                name="pricesuggestion_status_known",
            ),
            models.CheckConstraint(
                condition=Q(status="proposed", decided_at__isnull=True, decided_by__isnull=True)
                | Q(status__in=["approved", "rejected"], decided_at__isnull=False),
                name="pricesuggestion_decided_when_not_proposed",
            ),
            models.UniqueConstraint(
                fields=["product"],
                condition=Q(status="proposed"),
                name="pricesuggestion_one_open_per_product",
            ),
            models.CheckConstraint(
                condition=Q(current_price__gt=0) & Q(suggested_price__gt=0) & Q(unit_cost__gte=0),
                name="pricesuggestion_prices_positive",
            ),
            models.CheckConstraint(
                condition=Q(quantity_ratio_low__lte=models.F("quantity_ratio"))
                & Q(quantity_ratio__lte=models.F("quantity_ratio_high"))
                & Q(revenue_ratio_low__lte=models.F("revenue_ratio"))
                & Q(revenue_ratio__lte=models.F("revenue_ratio_high"))
                & Q(profit_change_per_week_low__lte=models.F("profit_change_per_week"))
                & Q(profit_change_per_week__lte=models.F("profit_change_per_week_high")),
                name="pricesuggestion_ranges_ordered",
            ),
        ]
        indexes = [
            models.Index(fields=["status", "-created_at"], name="pricesuggestion_status"),
            models.Index(fields=["product", "-created_at"], name="pricesuggestion_product"),
        ]

    def __str__(self) -> str:
        return f"product {self.product_id}: {self.current_price} → {self.suggested_price}"

    @property
    def price_change(self) -> float:
        """Relative change of the suggested price against the current one."""
        return float(self.suggested_price / self.current_price) - 1
