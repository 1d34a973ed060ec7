/**
 * The console's stylesheet and the little script that streams a job's output: plain text in
 * the program, so there is no build step and no file to find at run time.
 *
 * @module
 */

const COLOURS: Record<string, [string, string]> = {
  black: ["#3b3b3b", "#7a7a7a"],
  red: ["#c91b00", "#ff6e67"],
  green: ["#00a600", "#5ffa68"],
  yellow: ["#a68a0d", "#fffc67"],
  blue: ["#2350c9", "#6871ff"],
  magenta: ["#b120b1", "#ff77ff"],
  cyan: ["#00a6b2", "#60fdff"],
  white: ["#bfbfbf", "#ffffff"],
};

const ANSI_CSS = Object.entries(COLOURS).flatMap(([name, [normal, bright]]) => [
  `.a-fg-${name}{color:${normal}}`,
  `.a-fg-bright-${name}{color:${bright}}`,
  `.a-bg-${name}{background:${normal}}`,
  `.a-bg-bright-${name}{background:${bright}}`,
]).join("\n");

/** The stylesheet, served at `/static/style.css`. */
export const STYLESHEET: string = `
:root{--fg:#1d232a;--muted:#5c6773;--bg:#f6f7f9;--card:#fff;--line:#d9dee4;--accent:#0b62c4;
--ok:#137333;--bad:#b3261e;--warn:#8a5a00;--run:#0b62c4;--term:#111418;--term-fg:#e6e6e6}
*{box-sizing:border-box}
body{margin:0;font:15px/1.5 system-ui,-apple-system,"Segoe UI",Roboto,sans-serif;color:var(--fg);background:var(--bg)}
header{display:flex;flex-wrap:wrap;gap:.5rem 1.25rem;align-items:center;padding:.6rem 1rem;background:#1d232a;color:#fff}
header a{color:#fff;text-decoration:none}
header .brand{font-weight:700}
header nav{display:flex;gap:1rem;flex:1}
header form{margin:0}
header .who{color:#c9d1d9;font-size:.9rem}
main{max-width:70rem;margin:0 auto;padding:1rem}
h1{font-size:1.4rem;margin:.2rem 0 1rem}
h2{font-size:1.1rem;margin:1.5rem 0 .5rem}
.card h2{margin-top:0}
a{color:var(--accent)}
code,pre,.mono{font-family:ui-monospace,SFMono-Regular,Menlo,Consolas,monospace;font-size:.9em}
.card{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:1rem;margin:0 0 1rem}
.commands{list-style:none;margin:0;padding:0}
.commands li{padding:.35rem 0;border-top:1px solid var(--line);display:flex;flex-wrap:wrap;gap:0 1rem}
.commands li:first-child{border-top:0}
.commands .name{min-width:12rem;font-weight:600}
.commands .summary{color:var(--muted);flex:1;min-width:14rem}
pre{white-space:pre-wrap;word-break:break-word;margin:0}
.help-text{color:var(--muted);margin:0 0 1rem}
.usage{background:#eef1f4;padding:.5rem .75rem;border-radius:6px;overflow-x:auto;margin:0 0 1rem;white-space:pre;word-break:normal}
fieldset{border:1px solid var(--line);border-radius:8px;margin:0 0 1rem;padding:.5rem 1rem 1rem}
legend{font-weight:600;padding:0 .25rem}
.field{margin:.75rem 0 0}
.field label{display:block;margin:0 0 .2rem}
.field.check label{display:inline}
.hint{color:var(--muted);font-size:.88rem;margin:.2rem 0 0}
.note{color:var(--muted)}
.required{color:var(--bad);text-decoration:none}
input[type=text],input[type=url],input[type=password],input[type=number],select{width:100%;max-width:32rem;padding:.45rem .55rem;
border:1px solid #b8c0c8;border-radius:6px;font:inherit;background:#fff}
button,.button{display:inline-block;padding:.45rem .9rem;border-radius:6px;border:1px solid var(--accent);background:var(--accent);
color:#fff;font:inherit;cursor:pointer;text-decoration:none}
button.secondary{background:#fff;color:var(--accent)}
button.danger{background:#fff;color:var(--bad);border-color:var(--bad)}
header button{background:transparent;border-color:#6b7785;color:#fff;padding:.2rem .6rem}
details.shared{margin:0 0 1rem}
details.shared summary{cursor:pointer;color:var(--muted)}
.run{display:flex;flex-wrap:wrap;gap:1rem;align-items:flex-end;margin:1rem 0 0}
.run .field{margin:0}
.error{background:#fdecea;border:1px solid #f2b8b5;color:var(--bad);padding:.6rem .8rem;border-radius:6px;margin:0 0 1rem;white-space:pre-wrap}
.message{background:#e8f0fe;border:1px solid #b6cdf7;padding:.6rem .8rem;border-radius:6px;margin:0 0 1rem}
.tabs{display:flex;flex-wrap:wrap;gap:.5rem;margin:0 0 1rem}
.tabs a{padding:.2rem .6rem;border:1px solid var(--line);border-radius:999px;text-decoration:none;background:#fff}
.tabs a.current{background:var(--accent);color:#fff;border-color:var(--accent)}
table{border-collapse:collapse;width:100%}
th,td{text-align:left;padding:.4rem .5rem;border-bottom:1px solid var(--line);vertical-align:top}
th{font-size:.85rem;color:var(--muted);font-weight:600}
.table-wrap{overflow-x:auto}
.status{display:inline-block;padding:0 .5rem;border-radius:999px;font-size:.85rem;font-weight:600;border:1px solid currentColor}
.status-succeeded{color:var(--ok)}.status-failed{color:var(--bad)}.status-cancelled{color:var(--warn)}
.status-running{color:var(--run)}.status-queued{color:var(--muted)}
.filters{display:flex;flex-wrap:wrap;gap:.75rem;align-items:flex-end;margin:0 0 1rem}
.filters label{display:block;font-size:.85rem;color:var(--muted)}
.filters select,.filters input{width:auto;min-width:10rem}
dl.meta{display:grid;grid-template-columns:max-content 1fr;gap:.25rem 1rem;margin:0}
dl.meta dt{color:var(--muted)}dl.meta dd{margin:0;word-break:break-word}
.terminal{background:var(--term);color:var(--term-fg);border-radius:8px;padding:.75rem 1rem;min-height:2.5rem;overflow-x:auto}
.terminal.stderr{border-left:4px solid var(--bad)}
.stream-title{font-size:.85rem;color:var(--muted);margin:1rem 0 .3rem}
.actions{display:flex;gap:.5rem;flex-wrap:wrap;margin:1rem 0}
.actions form{margin:0}
.live{color:var(--run);font-size:.85rem}
.login{max-width:24rem;margin:3rem auto}
.counts{display:grid;grid-template-columns:repeat(auto-fit,minmax(8.5rem,1fr));gap:.75rem;margin:0 0 1rem}
.count{background:var(--card);border:1px solid var(--line);border-radius:8px;padding:.6rem .8rem;display:flex;flex-direction:column}
.count .value{font-size:1.6rem;font-weight:700;line-height:1.2}
.count .label{color:var(--muted);font-size:.85rem}
.count.tone-ok .value{color:var(--ok)}.count.tone-bad .value{color:var(--bad)}.count.tone-run .value{color:var(--run)}
.charts{display:grid;grid-template-columns:repeat(auto-fit,minmax(min(100%,22rem),1fr));gap:1rem}
.chart-box{margin:0;min-width:0}
.chart-box figcaption{display:flex;flex-wrap:wrap;gap:.25rem .75rem;align-items:baseline;font-size:.9rem;margin:0 0 .3rem}
.chart-title{font-weight:600}.chart-legend{color:var(--muted)}.chart-max{margin-left:auto;color:var(--muted)}
.chart-legend .key{display:inline-block;width:.7rem;height:.7rem;border-radius:2px;margin:0 .25rem 0 .1rem;vertical-align:-.05rem}
.chart{display:block;width:100%;height:7.5rem;background:#fbfcfd;border:1px solid var(--line);border-radius:4px}
.chart .bar-slot{fill:transparent}.chart g:hover .bar-slot{fill:#eef1f4}
.bar-ok{fill:var(--ok);background:var(--ok)}.bar-bad{fill:var(--bad);background:var(--bad)}
.chart .axis{stroke:var(--line);stroke-width:1;vector-effect:non-scaling-stroke}
.chart-span{display:flex;justify-content:space-between;color:var(--muted);font-size:.8rem}
.login .field input{max-width:none}
.a-bold{font-weight:700}.a-dim{opacity:.7}.a-italic{font-style:italic}.a-underline{text-decoration:underline}
.a-blink{text-decoration:overline}.a-reverse{filter:invert(1)}.a-conceal{visibility:hidden}
${ANSI_CSS}
@media (max-width:40rem){main{padding:.6rem}.commands .name{min-width:0;width:100%}
th.optional,td.optional{display:none}header nav{order:3;width:100%;flex:none}}
`;

/**
 * The dashboard's script: follows its event stream and puts each part that changed in place.
 */
export const DASHBOARD_SCRIPT: string = `
(() => {
  const root = document.getElementById("dashboard");
  if (!root || !window.EventSource) return;
  const live = document.getElementById("dash-live");
  const events = new EventSource(root.dataset.events);
  events.onopen = () => { if (live) live.textContent = "live"; };
  events.onerror = () => { if (live) live.textContent = "reconnecting…"; };
  events.onmessage = (event) => {
    const parts = JSON.parse(event.data);
    for (const id of Object.keys(parts)) {
      const element = document.getElementById(id);
      if (element) element.innerHTML = parts[id];
    }
  };
})();
`;

/**
 * The job page's script: follows the job's event stream and puts each rendering of its status,
 * output and buttons in place, until the job has ended.
 */
export const JOB_SCRIPT: string = `
(() => {
  const root = document.getElementById("job");
  if (!root || root.dataset.ended === "true") return;
  const live = document.getElementById("job-live");
  const events = new EventSource(root.dataset.events);
  events.onmessage = (event) => {
    const data = JSON.parse(event.data);
    for (const part of ["meta", "stdout", "stderr", "actions"]) {
      const element = document.getElementById("job-" + part);
      if (element && data[part] !== undefined) element.innerHTML = data[part];
    }
    root.dataset.status = data.status;
    if (data.ended) {
      root.dataset.ended = "true";
      if (live) live.textContent = "";
      events.close();
    }
  };
  events.addEventListener("gone", () => events.close());
})();
`;
