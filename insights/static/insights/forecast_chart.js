// Draws the sales forecast <canvas data-forecast-url="..."> with the vendored Chart.js
// (global `Chart`, loaded before this module) from the JSON of insights.forecast_views:
// the history as a solid line, the forecast dashed, the 95% and 80% intervals as shaded
// bands (lighter and darker). Without JavaScript, or if the data cannot be fetched, the
// table next to the canvas (<details data-chart-data>) holds the same numbers.

const COLOURS = { history: "#0072B2", forecast: "#D55E00", band95: "#D55E0022", band80: "#D55E0055" };

function datasets(chart) {
  const byKey = Object.fromEntries(chart.series.map((s) => [s.key, s]));
  const line = (key, colour, dash, pointStyle) => ({
    label: byKey[key].label,
    data: byKey[key].data,
    borderColor: colour,
    backgroundColor: "transparent",
    borderDash: dash,
    borderWidth: 2,
    pointStyle,
    pointRadius: 3,
    spanGaps: false,
    fill: false,
  });
  // A band: its low edge (no fill) and its high edge filled down to the low edge.
  const band = (low, high, colour, label) => [
    { label: `${label} low`, data: byKey[low].data, borderColor: "transparent", pointRadius: 0, fill: false },
    { label, data: byKey[high].data, borderColor: "transparent", backgroundColor: colour, pointRadius: 0, fill: "-1" },
  ];
  return [
    ...band("lo95", "hi95", COLOURS.band95, "95% interval"),
    ...band("lo80", "hi80", COLOURS.band80, "80% interval"),
    line("history", COLOURS.history, [], "circle"),
    line("forecast", COLOURS.forecast, [6, 4], "rectRot"),
  ];
}

async function draw(canvas) {
  const response = await fetch(canvas.dataset.forecastUrl, { credentials: "same-origin" });
  if (!response.ok) return;
  const chart = await response.json();
  new Chart(canvas, {
    type: "line",
    data: { labels: chart.labels, datasets: datasets(chart) },
    options: {
      responsive: true,
      interaction: { mode: "index", intersect: false },
      plugins: {
        legend: { labels: { filter: (item) => !item.text.endsWith(" low") } },
        tooltip: { filter: (item) => item.raw !== null },
      },
      scales: {
        x: { title: { display: true, text: chart.x_label }, ticks: { maxRotation: 0, autoSkip: true } },
        y: { beginAtZero: true, title: { display: true, text: "Units" } },
      },
    },
  });
  const table = canvas.closest("figure")?.querySelector("[data-chart-data]");
  if (table) table.open = false;
}

function start() {
  if (typeof Chart === "undefined") return;
  document.querySelectorAll("canvas[data-forecast-url]").forEach((canvas) => {
    draw(canvas).catch(() => {});
  });
}

if (document.readyState === "complete") start();
else window.addEventListener("load", start);
