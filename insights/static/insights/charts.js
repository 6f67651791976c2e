// Draws every <canvas data-chart-url="..."> with the vendored Chart.js (global `Chart`, loaded
// before this module), from the JSON its URL returns (the shape of insights/home/charts.py).
//
// Readable without colour: each series has its own point shape and dash pattern (lines) or
// fill pattern (bars), the legend shows the shapes, axes are titled, and the numbers stay
// in the <details data-chart-data> table next to the canvas, which is what shows when
// JavaScript is off or the data cannot be fetched.

const SERIES_STYLES = [
  // Okabe-Ito colours (distinguishable with the common colour-vision deficiencies).
  { color: "#0072B2", pointStyle: "circle", dash: [], pattern: "solid" },
  { color: "#D55E00", pointStyle: "rectRot", dash: [8, 4], pattern: "stripes" },
  { color: "#009E73", pointStyle: "triangle", dash: [2, 3], pattern: "dots" },
  { color: "#CC79A7", pointStyle: "crossRot", dash: [10, 3, 2, 3], pattern: "cross" },
];
const ISO_DAY = /^\d{4}-\d{2}-\d{2}$/;
const dayFormat = new Intl.DateTimeFormat(undefined, { day: "numeric", month: "short" });

function styleOf(index) {
  return SERIES_STYLES[index % SERIES_STYLES.length];
}

function cssVar(name, fallback) {
  const value = getComputedStyle(document.documentElement).getPropertyValue(name).trim();
  return value || fallback;
}

// A small repeating tile, so that bars differ by texture as well as by colour.
function fillPattern(style) {
  if (style.pattern === "solid") return style.color;
  const tile = document.createElement("canvas");
  tile.width = tile.height = 8;
  const ctx = tile.getContext("2d");
  ctx.fillStyle = style.color + "55";
  ctx.fillRect(0, 0, 8, 8);
  ctx.strokeStyle = ctx.fillStyle = style.color;
  ctx.lineWidth = 2;
  if (style.pattern === "stripes") {
    ctx.beginPath();
    ctx.moveTo(0, 8);
    ctx.lineTo(8, 0);
    ctx.stroke();
  } else if (style.pattern === "dots") {
    ctx.beginPath();
    ctx.arc(4, 4, 1.6, 0, 2 * Math.PI);
    ctx.fill();
  } else {
    ctx.beginPath();
    ctx.moveTo(0, 4);
    ctx.lineTo(8, 4);
    ctx.moveTo(4, 0);
    ctx.lineTo(4, 8);
    ctx.stroke();
  }
  return ctx.createPattern(tile, "repeat");
}

function formatValue(value, series, percent) {
  const number = typeof value === "number" ? value.toLocaleString() : value;
  if (percent) return `${number}%`;
  return series.unit ? `${number} ${series.unit}` : `${number}`;
}

function dataset(series, index, kind) {
  const style = styleOf(index);
  const common = {
    label: series.label,
    data: series.data,
    yAxisID: series.axis === "right" ? "y2" : "y",
    borderColor: style.color,
  };
  if (kind === "bar") {
    return { ...common, backgroundColor: fillPattern(style), borderWidth: 1.5 };
  }
  // Hollow markers: where two series meet, both shapes still show.
  return {
    ...common,
    backgroundColor: "transparent",
    borderDash: style.dash,
    borderWidth: 2,
    pointStyle: style.pointStyle,
    pointBorderWidth: 1.5,
    pointRadius: 4 + index,
    pointHoverRadius: 7 + index,
    spanGaps: false,
    tension: 0,
  };
}

function axis(title, { percent = false, right = false } = {}) {
  return {
    position: right ? "right" : "left",
    beginAtZero: true,
    max: percent ? 100 : undefined,
    title: { display: Boolean(title), text: title },
    grid: { drawOnChartArea: !right, color: cssVar("--hairline-color", "#e8e8e8") },
    ticks: { precision: percent ? undefined : 0, callback: (v) => (percent ? `${v}%` : v) },
  };
}

function config(chart) {
  const left = chart.series.filter((s) => s.axis !== "right");
  const right = chart.series.filter((s) => s.axis === "right");
  const scales = {
    x: {
      title: { display: true, text: chart.x_label },
      grid: { color: cssVar("--hairline-color", "#e8e8e8") },
      ticks: {
        maxRotation: 0,
        autoSkip: true,
        callback(value) {
          const label = this.getLabelForValue(value);
          return ISO_DAY.test(label) ? dayFormat.format(new Date(`${label}T00:00:00`)) : label;
        },
      },
    },
    y: axis(left.length === 1 ? left[0].label : chart.percent ? "Share" : "", {
      percent: chart.percent,
    }),
  };
  if (right.length) {
    scales.y2 = axis(right.map((s) => s.label).join(", "), { right: true });
  }
  return {
    type: chart.kind,
    data: {
      labels: chart.labels,
      datasets: chart.series.map((series, index) => dataset(series, index, chart.kind)),
    },
    options: {
      responsive: true,
      maintainAspectRatio: false,
      animation: false,
      interaction: { mode: "index", intersect: false },
      scales,
      plugins: {
        legend: {
          display: chart.series.length > 1,
          labels: { usePointStyle: chart.kind !== "bar", boxWidth: 28 },
        },
        tooltip: {
          callbacks: {
            label: (item) =>
              `${item.dataset.label}: ${formatValue(item.raw, chart.series[item.datasetIndex], chart.percent)}`,
          },
        },
      },
    },
  };
}

async function draw(canvas) {
  if (canvas.dataset.chartState) return;
  canvas.dataset.chartState = "loading";
  const figure = canvas.closest("figure") || canvas.parentElement;
  try {
    const response = await fetch(canvas.dataset.chartUrl, {
      credentials: "same-origin",
      headers: { Accept: "application/json" },
    });
    if (!response.ok) throw new Error(`${response.status} ${response.statusText}`);
    const chart = await response.json();
    const holder = canvas.parentElement;
    if (holder.hidden) holder.hidden = false;
    new window.Chart(canvas, config(chart));
    // The picture is up: the table folds away, one click from view.
    const table = figure.querySelector("[data-chart-data]");
    if (table) table.open = false;
    canvas.dataset.chartState = "drawn";
  } catch (error) {
    // The table stays open; say why there is no picture.
    canvas.dataset.chartState = "failed";
    console.error("chart", canvas.dataset.chartUrl, error);
  }
}

function drawAll(root) {
  if (!window.Chart) return;
  window.Chart.defaults.color = cssVar("--body-fg", "#333");
  window.Chart.defaults.font.family = getComputedStyle(document.body).fontFamily;
  root.querySelectorAll("canvas[data-chart-url]").forEach(draw);
}

drawAll(document);
document.body.addEventListener("htmx:afterSettle", (event) => drawAll(event.target));
