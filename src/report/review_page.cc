#include "report/review_page.h"

namespace reelq {

const std::string_view k_review_style = R"css(
[hidden]{display:none!important}
.toolbar{position:sticky;top:0;z-index:5;background:var(--bg);display:flex;flex-wrap:wrap;gap:8px 14px;align-items:center;padding:8px 0 10px;border-bottom:1px solid #ddd;margin-bottom:12px}
.toolbar label{color:#555}.toolbar select,.toolbar button{font:inherit;padding:3px 6px}.toolbar .shown{color:#555}
.toolbar .status{color:var(--ok)}.toolbar .status.bad{color:var(--bad)}
.jobs{display:grid;grid-template-columns:repeat(auto-fill,minmax(360px,1fr));gap:14px}.card.job.wide{grid-column:1/-1}
.card.job{content-visibility:auto;contain-intrinsic-size:auto 380px}
.card.job .head{padding:10px 14px 0}.card.job h3{margin:0;font-size:15px;word-break:break-all}
.card.job .prompt{padding:0 14px}
.row{display:flex;gap:10px;overflow-x:auto;padding:6px 14px 12px;align-items:flex-start}
.take{flex:1 0 300px;max-width:420px;border:3px solid #e4e4e4;border-radius:6px;background:#fafafa;cursor:pointer}
.take .body{padding:6px 10px}.take .media{border-radius:3px 3px 0 0}
.take.current{outline:3px solid #ffb300;outline-offset:2px}
.take[data-mark=pick]{border-color:var(--ok)}.take[data-mark=star]{border-color:#f9a825}
.take[data-mark=reject]{border-color:var(--bad);opacity:.6}
.mark{display:inline-block;border-radius:4px;padding:0 6px;font-size:12px;font-weight:600;margin-left:4px}
.take[data-mark=pick] .mark{background:#e8f5e9;color:var(--ok)}.take[data-mark=star] .mark{background:#fff8e1;color:#b26a00}
.take[data-mark=reject] .mark{background:#fde7e7;color:var(--bad)}
.ref{flex:0 0 200px;margin:0;color:#666;font-size:12px}.ref img{width:100%;border-radius:4px;display:block}.ref a{word-break:break-all}
.facts a{color:inherit}
#help{position:fixed;inset:0;background:#0009;display:flex;align-items:center;justify-content:center;z-index:10}
#help div{background:#fff;border-radius:8px;padding:16px 24px;max-width:480px}#help td{padding:2px 10px 2px 0}
#help kbd,.toolbar kbd{border:1px solid #bbb;border-radius:3px;padding:0 4px;background:#f4f4f4;font:12px monospace}
)css";

// Takes are found by their data-* attributes; marks live in localStorage under
// "reelq-marks:v1:<database id>:<batch>" as {"[\"job\",take]": "pick"|"reject"|"star"}.
const std::string_view k_review_script = R"js(
(() => {
"use strict";
const LABEL = {pick: "picked", reject: "rejected", star: "starred"};
const sections = [...document.querySelectorAll("section.review")].map((sec, index) => {
  const data = JSON.parse(sec.querySelector("script.review-data").textContent);
  const store = "reelq-marks:v1:" + data.queue + ":" + data.batch;
  let marks = {}, stored = true;
  try {
    marks = JSON.parse(localStorage.getItem(store) || "{}") || {};
  } catch (e) {
    stored = false;  // a browser that refuses storage to files: marks last until the page closes
  }
  sec.dataset.index = index;
  return {sec, data, store, marks, stored, takes: [...sec.querySelectorAll(".take")]};
});
const help = document.getElementById("help");
const takeKey = t => JSON.stringify([t.dataset.job, Number(t.dataset.take)]);
const sectionOf = t => sections[Number(t.closest("section.review").dataset.index)];
const markOf = t => sectionOf(t).marks[takeKey(t)] || "";

function save(s) {
  if (!s.stored) {
    return;
  }
  try {
    localStorage.setItem(s.store, JSON.stringify(s.marks));
  } catch (e) {
    s.stored = false;
    status(s, "marks could not be saved in this browser: export them before closing", true);
  }
}

function status(s, text, bad) {
  const el = s.sec.querySelector(".status");
  el.textContent = text;
  el.classList.toggle("bad", !!bad);
}

function paintMark(t) {
  const m = markOf(t);
  if (m) {
    t.dataset.mark = m;
  } else {
    delete t.dataset.mark;
  }
  t.querySelector(".mark").textContent = m ? LABEL[m] : "";
}

function refresh(s) {
  const f = {state: s.sec.querySelector(".f-state").value, code: s.sec.querySelector(".f-code").value,
             mark: s.sec.querySelector(".f-mark").value};
  const counts = {pick: 0, reject: 0, star: 0, none: 0};
  let shown = 0;
  for (const t of s.takes) {
    const m = markOf(t);
    ++counts[m || "none"];
    const show = (!f.state || t.dataset.state === f.state) && (!f.code || t.dataset.code === f.code) &&
                 (!f.mark || (f.mark === "none" ? !m : f.mark === "keep" ? m === "pick" || m === "star" : m === f.mark));
    t.hidden = !show;
    shown += show ? 1 : 0;
  }
  for (const card of s.sec.querySelectorAll("article.job")) {
    card.hidden = !card.querySelector(".take:not([hidden])");
  }
  counts.keep = counts.pick + counts.star;
  for (const o of s.sec.querySelectorAll(".f-mark option[value]:not([value=''])")) {
    o.textContent = o.dataset.label + " (" + counts[o.value] + ")";
  }
  s.sec.querySelector(".shown").textContent = "showing " + shown + " of " + s.takes.length + " takes";
  if (current && current.hidden) {
    select(null);
  }
}

let current = null;
function select(t, scroll = true) {
  if (current) {
    current.classList.remove("current");
  }
  current = t;
  if (t) {
    t.classList.add("current");
    if (scroll) {
      t.scrollIntoView({block: "nearest", inline: "nearest"});
    }
  }
}

const visible = () => sections.flatMap(s => s.takes.filter(t => !t.hidden));
function step(d) {
  const v = visible();
  if (!v.length) {
    return;
  }
  const i = current ? v.indexOf(current) : (d > 0 ? -1 : v.length);
  select(v[Math.max(0, Math.min(v.length - 1, i + d))]);
}
function stepJob(d) {
  const cards = [...document.querySelectorAll("section.review article.job")].filter(c => !c.hidden);
  if (!cards.length) {
    return;
  }
  const i = current ? cards.indexOf(current.closest("article")) : (d > 0 ? -1 : cards.length);
  const card = cards[Math.max(0, Math.min(cards.length - 1, i + d))];
  select(card.querySelector(".take:not([hidden])"));
}

function mark(m) {
  if (!current) {
    step(1);
  }
  const t = current;
  if (!t) {
    return;
  }
  const s = sectionOf(t), k = takeKey(t);
  if (!m || s.marks[k] === m) {
    delete s.marks[k];  // the same key again takes the mark off
  } else {
    s.marks[k] = m;
  }
  save(s);
  paintMark(t);
  refresh(s);
}

function exportMarks(s) {
  const marks = [];
  for (const t of s.takes) {
    const m = markOf(t);
    if (m) {
      marks.push({job: t.dataset.job, take: Number(t.dataset.take), mark: m});
    }
  }
  // The queue's id too: marks made on a rehearsal's page must not deliver from the real queue.
  const text = JSON.stringify({version: 1, batch: s.data.batch, queue: s.data.queue || null, marks}) + "\n";
  const a = document.createElement("a");
  a.href = URL.createObjectURL(new Blob([text], {type: "application/json"}));
  a.download = "picks-" + s.data.batch.replace(/[^A-Za-z0-9._-]/g, "_") + ".json";
  document.body.append(a);
  a.click();
  a.remove();
  setTimeout(() => URL.revokeObjectURL(a.href), 60000);
  status(s, "exported " + marks.length + " mark" + (marks.length === 1 ? "" : "s") + " to " + a.download);
}

function togglePlay() {
  const v = current && current.querySelector("video");
  if (v) {
    load(v);
    if (v.paused) {
      v.play().catch(() => {});
    } else {
      v.pause();
    }
  }
}

// Media only near the viewport: a video gets its src as it comes within a screen of view and
// gives it back (and its decoder and buffers) when it goes further, so a page of any size holds
// a screenful or two of players.
function load(v) {
  if (!v.hasAttribute("src") && v.dataset.src) {
    v.preload = "metadata";
    v.src = v.dataset.src;
  }
}
function unload(v) {
  if (v.hasAttribute("src")) {
    v.pause();
    v.removeAttribute("src");
    v.preload = "none";
    v.load();
  }
}
const near = new IntersectionObserver(entries => {
  for (const e of entries) {
    (e.isIntersecting ? load : unload)(e.target);
  }
}, {rootMargin: "100% 50%"});
document.querySelectorAll("video[data-src]").forEach(v => near.observe(v));

document.addEventListener("keydown", e => {
  if (e.ctrlKey || e.metaKey || e.altKey || /^(INPUT|SELECT|TEXTAREA|BUTTON)$/.test(e.target.tagName)) {
    return;
  }
  const k = e.key;
  if (k === "?") {
    help.hidden = !help.hidden;
  } else if (k === "Escape") {
    help.hidden = true;
  } else if (k === "j" || k === "ArrowRight") {
    step(1);
  } else if (k === "k" || k === "ArrowLeft") {
    step(-1);
  } else if (k === "J" || k === "ArrowDown") {
    stepJob(1);
  } else if (k === "K" || k === "ArrowUp") {
    stepJob(-1);
  } else if (k === "p") {
    mark("pick");
  } else if (k === "x") {
    mark("reject");
  } else if (k === "s") {
    mark("star");
  } else if (k === "u") {
    mark("");
  } else if (k === " ") {
    togglePlay();
  } else if (k === "e") {
    exportMarks(current ? sectionOf(current) : sections[0]);
  } else {
    return;
  }
  e.preventDefault();
});
document.addEventListener("click", e => {
  const t = e.target.closest(".take");
  if (t) {
    select(t, false);
  }
});
for (const s of sections) {
  s.sec.querySelectorAll("select").forEach(el => el.addEventListener("change", () => {
    refresh(s);
    el.blur();  // the keys are for marking again, not for the list
  }));
  // A clicked button keeps the focus, and the keys skip a focused button: let it go.
  const button = (sel, act) => {
    const b = s.sec.querySelector(sel);
    b.addEventListener("click", () => { act(); b.blur(); });
  };
  button("button.export", () => exportMarks(s));
  button("button.help", () => { help.hidden = false; });
  s.takes.forEach(paintMark);
  refresh(s);
  if (!s.stored) {
    status(s, "this browser keeps no marks for files: export them before closing", true);
  }
}
help.addEventListener("click", () => { help.hidden = true; });
})();
)js";

std::string script_safe_json(std::string_view json) {
  std::string out;
  out.reserve(json.size());
  for (size_t i = 0; i < json.size(); ++i) {
    char c = json[i];
    if (c == '<') {
      out += "\\u003c";
    } else if (c == '>') {
      out += "\\u003e";
    } else if (c == '&') {
      out += "\\u0026";
    } else if (c == '\xE2' && i + 2 < json.size() && json[i + 1] == '\x80' &&
               (json[i + 2] == '\xA8' || json[i + 2] == '\xA9')) {
      out += json[i + 2] == '\xA8' ? "\\u2028" : "\\u2029";
      i += 2;
    } else {
      out += c;
    }
  }
  return out;
}

}  // namespace reelq
