// The common operating picture: login, the map and its layers at a moment in time, the
// conflicts, the inbox (the deconfliction channel) with live updates, and drawing new zones
// and operations with a check before submitting.

import { Api, ApiError, listen, login, session, stream } from "./api.js";
import {
  STATES, activeAt, colourOf, conflictMarker, conflictText, fmtTime, knownOwners,
  objectLayers, outlineLayer,
} from "./map.js";
import { TrackLayer } from "./tracks.js";

const L = window.L;
const HOUR = 3600 * 1000;
const $ = (id) => document.getElementById(id);

const state = {
  api: null, party: null, stop: null, stopTracks: null,
  zones: [], operations: [], conflicts: [], inbox: [],
  t: Date.now(), now: true,
};

// ---- the map --------------------------------------------------------------------------
const map = L.map("map", { zoomSnap: 0.25, worldCopyJump: true, doubleClickZoom: true })
  .setView([33.5, 38.6], 7);
L.control.scale({ metric: true, imperial: false, maxWidth: 160 }).addTo(map);
const Coords = L.Control.extend({
  onAdd() {
    const div = L.DomUtil.create("div", "coords");
    div.id = "coords";
    div.textContent = "—";
    return div;
  },
});
new Coords({ position: "bottomright" }).addTo(map);
map.on("mousemove", (e) => {
  $("coords").textContent = `${e.latlng.lat.toFixed(5)}, ${L.Util.wrapNum(e.latlng.lng, [-180, 180], true).toFixed(5)}`;
});

const layers = {
  countries: L.layerGroup().addTo(map),
  zones: L.featureGroup().addTo(map),
  operations: L.featureGroup().addTo(map),
  conflicts: L.featureGroup().addTo(map),
  check: L.featureGroup().addTo(map),
  drawing: L.featureGroup().addTo(map),
};
const trackLayer = new TrackLayer(L, map, colourOf);
layers.tracks = trackLayer.group.addTo(map);

async function loadCountries() {
  const r = await fetch("/web/vendor/world-atlas/countries-50m.json");
  const topo = await r.json();
  const geo = window.topojson.feature(topo, topo.objects.countries);
  L.geoJSON(geo, {
    interactive: false,
    style: { color: "#6b6b6b", weight: 1, fillColor: "#f2efe9", fillOpacity: 1,
             className: "country" },
  }).addTo(layers.countries);
}

// ---- errors -------------------------------------------------------------------------------
function showError(err) {
  const box = $("error");
  if (!err) { box.hidden = true; box.textContent = ""; return; }
  box.hidden = false;
  box.textContent = err instanceof ApiError ? `${err.code}: ${err.body.message}`
    : String(err.message ?? err);
  if (err instanceof ApiError && err.status === 401) logout();
}

async function guard(fn) {
  try {
    showError(null);
    return await fn();
  } catch (err) {
    showError(err);
    return undefined;
  }
}

// ---- time ---------------------------------------------------------------------------------
function timeRange() {
  let lo = Infinity;
  let hi = -Infinity;
  for (const o of [...state.zones, ...state.operations]) {
    for (const v of o.volumes) {
      if (v.time_start) lo = Math.min(lo, Date.parse(v.time_start));
      if (v.time_end) hi = Math.max(hi, Date.parse(v.time_end));
    }
  }
  if (!Number.isFinite(lo)) lo = Date.now() - 7 * 24 * HOUR;
  if (!Number.isFinite(hi) || hi < lo) hi = lo + 14 * 24 * HOUR;
  // from the day before the first start to the day after the last end, and now
  const day = 24 * HOUR;
  return [Math.floor(lo / day) * day - day, Math.max(Math.ceil(hi / day) * day + day,
    Math.ceil(Date.now() / HOUR) * HOUR)];
}

function setupSlider() {
  const [lo, hi] = timeRange();
  const s = $("slider");
  s.min = String(lo / HOUR);
  s.max = String(hi / HOUR);
  s.value = String(Math.floor(state.t / HOUR));
}

function setTime(ms, { now = false } = {}) {
  state.now = now;
  state.t = ms;
  $("now-mode").checked = now;
  $("slider").value = String(Math.floor(ms / HOUR));
  $("time-label").textContent = fmtTime(ms) + (now ? " (now)" : "");
  render();
}

$("slider").addEventListener("input", (e) => setTime(Number(e.target.value) * HOUR));
$("now-mode").addEventListener("change", (e) => {
  setTime(e.target.checked ? Date.now() : Math.floor(state.t / HOUR) * HOUR, { now: e.target.checked });
});
for (const b of document.querySelectorAll("[data-step]")) {
  b.addEventListener("click", () => setTime(Math.floor(state.t / HOUR) * HOUR + Number(b.dataset.step) * HOUR));
}
setInterval(() => { if (state.now) setTime(Date.now(), { now: true }); }, 30_000);

// the layers built so far, by object version, volume and conflict flag (emptied on reload)
const cache = new Map();

// make ``group`` hold exactly ``wanted``: only what changed is added or removed
function sync(group, wanted) {
  const want = new Set(wanted);
  for (const l of group.getLayers()) if (!want.has(l)) group.removeLayer(l);
  for (const l of want) if (!group.hasLayer(l)) group.addLayer(l);
}

// ---- render ------------------------------------------------------------------------------
function render() {
  if (!state.party) return;
  const t = state.t;
  const live = state.conflicts.filter((c) => activeAt(c.time_start, c.time_end, t));
  const conflicted = new Set(live.flatMap((c) => [c.a.id, c.b.id]));
  const ctx = { party: state.party, conflicted };
  sync(layers.zones, state.zones.flatMap((z) => objectLayers(z, t, ctx, cache)));
  sync(layers.operations, state.operations.flatMap((o) => objectLayers(o, t, ctx, cache)));
  layers.conflicts.clearLayers();
  for (const c of live) layers.conflicts.addLayer(conflictMarker(c));
  const list = $("conflicts");
  list.replaceChildren(...state.conflicts.map((c) => {
    const li = document.createElement("li");
    li.textContent = conflictText(c);
    li.className = activeAt(c.time_start, c.time_end, t) ? "active conflict" : "conflict";
    li.addEventListener("click", () => {
      setTime(Date.parse(c.time_start));
      map.panTo([c.witness.lat, c.witness.lon]);
    });
    return li;
  }));
  $("conflict-count").textContent = String(state.conflicts.length);
  renderLegend();
}

function renderLegend() {
  const rows = knownOwners().map((o) => `<div class="legend-item"><span class="swatch"
    style="border-color:${colourOf(o)};background:${colourOf(o)}33"></span>${o}</div>`);
  rows.push('<div class="legend-item"><span class="swatch hatch"></span>zone you may not enter</div>');
  for (const [s, st] of Object.entries(STATES)) {
    rows.push(`<div class="legend-item"><svg width="26" height="10"><line x1="0" y1="5" x2="26"
      y2="5" stroke="#333" stroke-width="${st.weight}" stroke-dasharray="${st.dashArray ?? ""}"/></svg>
      operation ${s}</div>`);
  }
  rows.push(`<div class="legend-item"><svg width="18" height="18"><circle cx="9" cy="9" r="6"
    fill="#ffdd00" stroke="#d00000" stroke-width="3"/></svg>conflict (hover: explanation)</div>`);
  rows.push(`<div class="legend-item"><svg width="26" height="12"><polyline points="1,10 9,7 17,6"
    fill="none" stroke="#888" stroke-width="1.5"/><circle cx="20" cy="6" r="4" fill="#888"
    stroke="#222"/></svg>live track, its trail and course</div>`);
  $("legend").innerHTML = rows.join("");
}

for (const box of document.querySelectorAll("[data-layer]")) {
  box.addEventListener("change", () => {
    const g = layers[box.dataset.layer];
    if (box.checked) g.addTo(map); else g.remove();
  });
}

// the party's own zones and operations (at any time), else everything it sees
function zoomToMine() {
  const all = [...state.zones, ...state.operations];
  const mine = all.filter((o) => o.owner === state.party);
  const bounds = L.latLngBounds([]);
  for (const o of (mine.length ? mine : all)) {
    for (const v of o.volumes) {
      const l = outlineLayer(v.outline, {});
      if (!l) continue;
      if (l instanceof L.Circle) {
        // a Circle's bounds need a map; its extent from the radius is enough here
        const c = l.getLatLng();
        const dLat = v.outline.radius_m / 111320;
        const dLon = dLat / Math.max(Math.cos(c.lat * Math.PI / 180), 0.01);
        bounds.extend([[c.lat - dLat, c.lng - dLon], [c.lat + dLat, c.lng + dLon]]);
      } else bounds.extend(l.getBounds());
    }
  }
  if (bounds.isValid()) map.fitBounds(bounds, { padding: [20, 20], animate: false });
}
$("zoom-mine").addEventListener("click", zoomToMine);

// ---- data ---------------------------------------------------------------------------------
async function reload() {
  const api = state.api;
  const [zones, ops, conflicts, parties] = await Promise.all([
    api.get("/zones"), api.get("/operations"), api.get("/conflicts"), api.get("/parties"),
  ]);
  for (const p of parties.items) if (p.role !== "admin") colourOf(p.id);
  cache.clear();
  state.zones = zones.items;
  state.operations = ops.items;
  state.conflicts = conflicts.items;
  setupSlider();
  render();
}

async function reloadInbox() {
  const box = await state.api.get("/inbox?limit=1000");
  state.inbox = box.items;
  renderInbox();
  return box.next;
}

// ---- the inbox ------------------------------------------------------------------------------
function countdown(deadlineIso) {
  const left = Date.parse(deadlineIso) - Date.now();
  const a = Math.abs(left);
  const h = Math.floor(a / HOUR);
  const m = Math.floor((a % HOUR) / 60000);
  const s = Math.floor((a % 60000) / 1000);
  const txt = `${h}:${String(m).padStart(2, "0")}:${String(s).padStart(2, "0")}`;
  return left >= 0 ? [`${txt} left`, false] : [`overdue by ${txt}`, true];
}

function tick() {
  for (const el of document.querySelectorAll(".deadline[data-deadline]")) {
    const [txt, over] = countdown(el.dataset.deadline);
    el.textContent = txt;
    el.classList.toggle("overdue", over);
  }
}
setInterval(tick, 1000);

async function answer(msg, kind, reason) {
  await guard(async () => {
    await state.api.post(`/messages/${encodeURIComponent(msg.id)}/ack`, { answer: kind, reason });
    await reloadInbox();
  });
}

// the most messages drawn in the list (the newest pending first, then the newest answered):
// a storm of alerts must not make the page redraw thousands of rows each time
const INBOX_SHOWN = 200;

function renderInbox() {
  const items = [...state.inbox].sort((a, b) => b.seq - a.seq);
  const pending = items.filter((m) => m.state === "pending");
  $("pending-count").textContent = String(pending.length);
  const shown = [...pending, ...items.filter((m) => m.state !== "pending")].slice(0, INBOX_SHOWN);
  const more = items.length - shown.length;
  const rows = shown.map((m) => {
    const li = document.createElement("li");
    li.className = "message";
    li.dataset.id = m.id;
    li.dataset.subject = m.subject ?? "";
    if (m.escalated_at || m.kind === "escalation") li.classList.add("escalated");
    if (m.kind === "alert") li.classList.add("alert");
    if (m.state !== "pending") li.classList.add("answered");
    const head = document.createElement("div");
    head.innerHTML = `<b></b> from <i></i>: <span class="summary"></span>`;
    head.querySelector("b").textContent = m.kind;
    head.querySelector("i").textContent = m.sender;
    head.querySelector(".summary").textContent = m.summary;
    li.append(head);
    const meta = document.createElement("div");
    meta.className = "small";
    meta.innerHTML = '<span class="state"></span> <span class="deadline"></span>';
    meta.querySelector(".state").textContent = m.state + (m.escalated_at ? " · ESCALATED" : "");
    const reason = m.details?.override ? ` — justification: ${m.details.override}` : "";
    meta.append(reason);
    if (m.state === "pending" && m.deadline_at) {
      meta.querySelector(".deadline").dataset.deadline = m.deadline_at;
    } else if (m.answer_reason) {
      meta.querySelector(".deadline").textContent = `(${m.answer_reason})`;
    }
    li.append(meta);
    if (m.state === "pending") {
      const acts = document.createElement("div");
      acts.className = "msg-actions";
      const input = document.createElement("input");
      input.placeholder = "reason (to object or request a change)";
      input.className = "reason";
      const mk = (label, kind) => {
        const b = document.createElement("button");
        b.type = "button";
        b.textContent = label;
        b.className = `answer-${kind}`;
        b.addEventListener("click", () => {
          if (kind !== "ack" && !input.value.trim()) {
            showError(new Error(`give a reason to ${label.toLowerCase()}`));
            input.focus();
            return;
          }
          answer(m, kind, input.value.trim());
        });
        return b;
      };
      acts.append(input, mk("Acknowledge", "ack"), mk("Object", "object"),
                  mk("Request change", "request-change"));
      li.append(acts);
    }
    return li;
  });
  if (more > 0) {
    const li = document.createElement("li");
    li.className = "more small";
    li.textContent = `… and ${more} more (older or answered)`;
    rows.push(li);
  }
  $("inbox").replaceChildren(...rows);
  tick();
}

// ---- drawing ------------------------------------------------------------------------------
const draw = { mode: null, shape: null, centre: null, radius: null, points: [], check: null };

function hint(text) { $("draw-hint").textContent = text; }

function drawnOutline() {
  if (draw.centre && draw.radius) {
    return { type: "circle", lat: draw.centre.lat, lon: L.Util.wrapNum(draw.centre.lng, [-180, 180], true),
             radius_m: draw.radius };
  }
  if (draw.mode === null && draw.points.length >= 3) {
    return { type: "polygon", exterior: draw.points.map((p) => [p.lat, L.Util.wrapNum(p.lng, [-180, 180], true)]) };
  }
  return null;
}

function redrawShape(extra) {
  layers.drawing.clearLayers();
  const style = { color: "#000", weight: 2, dashArray: "4 4", fillOpacity: 0.1, className: "drawn" };
  if (draw.centre && draw.radius) layers.drawing.addLayer(L.circle(draw.centre, { ...style, radius: draw.radius }));
  else if (draw.points.length) {
    const pts = extra ? [...draw.points, extra] : draw.points;
    layers.drawing.addLayer(draw.mode === null ? L.polygon(pts, style) : L.polyline(pts, style));
  }
}

function clearDrawing() {
  Object.assign(draw, { mode: null, centre: null, radius: null, points: [], check: null });
  layers.drawing.clearLayers();
  layers.check.clearLayers();
  $("check-result").replaceChildren();
  $("draw-finish").hidden = true;
  map.doubleClickZoom.enable();
  hint("");
}

$("draw-clear").addEventListener("click", clearDrawing);
$("draw-circle").addEventListener("click", () => {
  clearDrawing();
  draw.mode = "circle";
  hint("click the centre, then a point on the edge");
});
$("draw-polygon").addEventListener("click", () => {
  clearDrawing();
  draw.mode = "polygon";
  map.doubleClickZoom.disable();
  $("draw-finish").hidden = false;
  hint("click the corners; Finish (or double-click) to close");
});
function finishPolygon() {
  if (draw.points.length < 3) { hint("a polygon needs three corners"); return; }
  draw.mode = null;
  $("draw-finish").hidden = true;
  map.doubleClickZoom.enable();
  redrawShape();
  hint(`polygon of ${draw.points.length} corners`);
}
$("draw-finish").addEventListener("click", finishPolygon);
map.on("dblclick", () => { if (draw.mode === "polygon") finishPolygon(); });
map.on("click", (e) => {
  if (draw.mode === "circle") {
    if (!draw.centre) { draw.centre = e.latlng; hint("now click a point on the edge"); return; }
    draw.radius = Math.round(map.distance(draw.centre, e.latlng));
    $("d-radius").value = String(draw.radius);
    draw.mode = null;
    redrawShape();
    hint(`circle of radius ${draw.radius} m`);
  } else if (draw.mode === "polygon") {
    draw.points.push(e.latlng);
    redrawShape();
  }
});
map.on("mousemove", (e) => {
  if (draw.mode === "circle" && draw.centre) {
    layers.drawing.clearLayers();
    layers.drawing.addLayer(L.circle(draw.centre, { radius: map.distance(draw.centre, e.latlng),
      color: "#000", weight: 1, dashArray: "4 4", fillOpacity: 0.05, interactive: false }));
  } else if (draw.mode === "polygon" && draw.points.length) redrawShape(e.latlng);
});
$("d-radius").addEventListener("change", (e) => {
  if (draw.centre) { draw.radius = Number(e.target.value); redrawShape(); }
});
$("d-object").addEventListener("change", (e) => {
  const zone = e.target.value === "zone";
  for (const el of document.querySelectorAll(".op-only")) el.hidden = zone;
  for (const el of document.querySelectorAll(".zone-only")) el.hidden = !zone;
});

function isoOrNull(text) {
  const v = text.trim();
  return v ? v : null;
}

function body() {
  const outline = drawnOutline();
  if (!outline) throw new Error("draw a circle or a polygon on the map first");
  const obj = {
    volumes: [{
      outline, alt_lower_m: Number($("d-alt-lower").value), alt_upper_m: Number($("d-alt-upper").value),
      time_start: isoOrNull($("d-start").value), time_end: isoOrNull($("d-end").value),
    }],
  };
  if ($("d-id").value.trim()) obj.id = $("d-id").value.trim();
  if ($("d-name").value.trim()) obj.name = $("d-name").value.trim();
  if ($("d-object").value === "zone") {
    obj.severity = $("d-severity").value;
    obj.allowed = $("d-allowed").value.split(",").map((s) => s.trim()).filter(Boolean);
  } else {
    obj.kind = $("d-kind").value;
    obj.state = $("d-state").value;
  }
  return obj;
}

function showCheck(res) {
  layers.check.clearLayers();
  const out = $("check-result");
  const p = document.createElement("p");
  if (!res.count) {
    p.className = "check-ok";
    p.textContent = "no conflicts";
    out.replaceChildren(p);
    return;
  }
  p.className = "check-bad";
  p.textContent = `${res.count} conflict(s)` + (res.binding ? "; submitting needs an override justification"
    : " (a draft is not refused)");
  const ol = document.createElement("ol");
  for (const c of res.conflicts) {
    const li = document.createElement("li");
    li.className = "check-conflict";
    li.textContent = conflictText(c);
    ol.append(li);
    layers.check.addLayer(conflictMarker(c));
  }
  out.replaceChildren(p, ol);
}

async function runCheck() {
  const b = body();
  const kind = $("d-object").value;
  const res = await state.api.post("/check", { object: kind, ...b });
  draw.check = { body: JSON.stringify(b), res };
  showCheck(res);
  return res;
}

// the versions of other parties' objects the check showed: the proof of awareness
function seenFrom(res) {
  const known = new Map([...state.zones, ...state.operations].map((o) => [o.id, o]));
  const seen = {};
  for (const c of res.conflicts) {
    for (const side of [c.a, c.b]) {
      const o = known.get(side.id);
      if (o && o.owner !== state.party) seen[o.id] = o.version;
    }
  }
  return seen;
}

$("check").addEventListener("click", () => guard(runCheck));
$("submit").addEventListener("click", () => guard(async () => {
  const b = body();
  const kind = $("d-object").value;
  const res = draw.check && draw.check.body === JSON.stringify(b) ? draw.check.res : await runCheck();
  const override = $("d-override").value.trim();
  if (res.count && res.binding && !override) {
    throw new Error(`${res.count} conflict(s): write an override justification to submit anyway`);
  }
  const payload = kind === "zone" ? b : { ...b, seen: seenFrom(res), ...(override ? { override } : {}) };
  const out = await state.api.post(kind === "zone" ? "/zones" : "/operations", payload);
  clearDrawing();
  const p = document.createElement("p");
  p.className = "check-ok submitted";
  p.textContent = `${kind} ${out.object.id} created` + (out.messages.length ? `; ${out.messages.length} notice(s) sent` : "");
  $("check-result").replaceChildren(p);
  $("d-override").value = "";
  await reload();
}));

// ---- session ------------------------------------------------------------------------------
// a burst of messages (alerts as tracks move) is one refresh, not one each, and refreshes
// are at least REFRESH_MS apart
const REFRESH_MS = 500;
let refreshing = null;
let again = false;
let objectsToo = false;
function onEvent(msg) {
  // a notice may mean objects changed too; an alert does not
  if (msg?.kind !== "alert") objectsToo = true;
  if (refreshing) { again = true; return; }
  refreshing = guard(async () => {
    do {
      again = false;
      const both = objectsToo;
      objectsToo = false;
      const t0 = performance.now();
      await reloadInbox();
      if (both) await reload();
      const rest = REFRESH_MS - (performance.now() - t0);
      if (again && rest > 0) await new Promise((ok) => setTimeout(ok, rest));
    } while (again);
  }).finally(() => { refreshing = null; });
}

async function startTracks() {
  const now = await state.api.get("/tracks");
  trackLayer.apply(now.tracks);
  state.stopTracks = stream(state.api, "/tracks/stream", now.version,
                            (data) => trackLayer.apply(data.tracks), () => {});
}

async function start(sess) {
  state.api = new Api(sess.token);
  state.party = sess.party;
  $("party").textContent = sess.party;
  $("who").hidden = false;
  $("login-form").hidden = true;
  if (!$("d-start").value) {
    $("d-start").value = new Date(Math.floor(state.t / HOUR) * HOUR).toISOString().slice(0, 16) + "Z";
    $("d-end").value = new Date(Math.floor(state.t / HOUR) * HOUR + 24 * HOUR).toISOString().slice(0, 16) + "Z";
  }
  await guard(async () => {
    await reload();
    zoomToMine();
    const next = await reloadInbox();
    state.stop = listen(state.api, next, onEvent, (on, err) => {
      $("live").textContent = on ? "live" : "offline";
      $("live").classList.toggle("on", on);
      if (err) showError(err);
    });
    await startTracks();
  });
  setTime(state.t, { now: state.now });
}

function logout() {
  state.stop?.();
  state.stopTracks?.();
  trackLayer.clear();
  sessionStorage.removeItem("deconfliction.jwt");
  Object.assign(state, { api: null, party: null, stop: null, stopTracks: null, zones: [], operations: [], conflicts: [], inbox: [] });
  cache.clear();
  for (const g of ["zones", "operations", "conflicts", "check", "drawing"]) layers[g].clearLayers();
  $("inbox").replaceChildren();
  $("conflicts").replaceChildren();
  $("who").hidden = true;
  $("login-form").hidden = false;
}

$("login-form").addEventListener("submit", (e) => {
  e.preventDefault();
  guard(async () => {
    const sess = await login($("token").value.trim());
    sessionStorage.setItem("deconfliction.jwt", sess.token);
    $("token").value = "";
    await start(sess);
  });
});
$("logout").addEventListener("click", logout);
$("login").disabled = false;  // only now does submitting the form log in

// for tests and the console: the map and the state (read them, do not write them)
window.deconfliction = { map, state, layers, tracks: trackLayer };

loadCountries().catch(showError);
setTime(Date.now(), { now: true });
const saved = sessionStorage.getItem("deconfliction.jwt");
if (saved) {
  const sess = session(saved);
  if (sess.exp > Date.now() + 60_000) start(sess); else sessionStorage.removeItem("deconfliction.jwt");
}
