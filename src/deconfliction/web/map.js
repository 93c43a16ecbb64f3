// Drawing the service's objects with Leaflet (a global from /web/vendor/leaflet): outlines,
// owner colours, visibility in time. Display only: the conflict engine's geometry is exact
// geodesic; a corridor is drawn here with a flat offset, good to a few metres at these sizes.

const L = window.L;
const EARTH_M = 6371008.8;
const PALETTE = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b",
                 "#e377c2", "#17becf", "#bcbd22", "#7f7f7f"];
const owners = new Map();

export const STATES = {
  draft: { dashArray: "2 6", weight: 2 },
  proposed: { dashArray: "8 6", weight: 2 },
  accepted: { dashArray: null, weight: 3 },
  active: { dashArray: null, weight: 5 },
  ended: { dashArray: "1 8", weight: 1 },
  cancelled: { dashArray: "1 8", weight: 1 },
};

export function colourOf(owner) {
  if (!owners.has(owner)) owners.set(owner, PALETTE[owners.size % PALETTE.length]);
  return owners.get(owner);
}

export function knownOwners() { return [...owners.keys()]; }

// [time_start, time_end) contains t (ms); open ends are unbounded
export function activeAt(startIso, endIso, t) {
  const s = startIso ? Date.parse(startIso) : -Infinity;
  const e = endIso ? Date.parse(endIso) : Infinity;
  return s <= t && t < e;
}

export function fmtTime(ms) {
  return new Date(ms).toISOString().replace(":00.000Z", "Z").replace("T", " ");
}

function corridorRing(path, halfWidthM) {
  // per-vertex offset along the mean normal of the adjacent segments, in a local flat frame
  const lat0 = (path.reduce((a, p) => a + p[0], 0) / path.length) * Math.PI / 180;
  const kx = EARTH_M * Math.cos(lat0) * Math.PI / 180;
  const ky = EARTH_M * Math.PI / 180;
  const xy = path.map(([la, lo]) => [lo * kx, la * ky]);
  const left = [];
  const right = [];
  for (let i = 0; i < xy.length; i++) {
    const a = xy[Math.max(i - 1, 0)];
    const b = xy[Math.min(i + 1, xy.length - 1)];
    const dx = b[0] - a[0];
    const dy = b[1] - a[1];
    const n = Math.hypot(dx, dy) || 1;
    const [nx, ny] = [-dy / n * halfWidthM, dx / n * halfWidthM];
    left.push([(xy[i][1] + ny) / ky, (xy[i][0] + nx) / kx]);
    right.push([(xy[i][1] - ny) / ky, (xy[i][0] - nx) / kx]);
  }
  return [...left, ...right.reverse()];
}

export function outlineLayer(outline, style) {
  switch (outline.type) {
    case "circle":
      return L.circle([outline.lat, outline.lon], { ...style, radius: outline.radius_m });
    case "polygon":
      return L.polygon([outline.exterior, ...(outline.holes ?? [])], style);
    case "corridor":
      return L.polygon(corridorRing(outline.path, outline.half_width_m), style);
    default:
      return null;
  }
}

function validity(v) {
  const s = v.time_start ? fmtTime(Date.parse(v.time_start)) : "always";
  const e = v.time_end ? fmtTime(Date.parse(v.time_end)) : "open-ended";
  return `${v.alt_lower_m}–${v.alt_upper_m} m, ${s} → ${e}`;
}

function esc(s) {
  return String(s ?? "").replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
}

// the layers of one zone's or operation's volumes visible at t (ms); ``cache`` (a Map) keeps
// them across calls, so that moving in time only adds and removes layers, never rebuilds them
export function objectLayers(obj, t, { party, conflicted }, cache = null) {
  const out = [];
  const hot = conflicted.has(obj.id);
  obj.volumes.forEach((v, i) => {
    if (!activeAt(v.time_start, v.time_end, t)) return;
    const key = `${obj.object}/${obj.id}/${obj.version}/${i}/${hot ? 1 : 0}`;
    let layer = cache?.get(key);
    if (!layer) {
      layer = volumeLayer(obj, i, v, party, hot);
      if (!layer) return;
      cache?.set(key, layer);
    }
    out.push(layer);
  });
  return out;
}

function volumeLayer(obj, i, v, party, hot) {
  const colour = colourOf(obj.owner);
  const isZone = obj.object === "zone";
  const mayEnter = obj.viewer_allowed ?? (obj.owner === party
    || (obj.allowed ?? []).includes(party));
  const classes = [isZone ? "zone" : "operation", `obj-${obj.id}`];
  if (isZone && !mayEnter) classes.push("zone-forbidden");
  if (hot) classes.push("in-conflict");
  const st = isZone ? { dashArray: null, weight: 2 } : (STATES[obj.state] ?? STATES.proposed);
  const layer = outlineLayer(v.outline, {
    color: colour, fillColor: colour, fillOpacity: isZone ? 0.12 : 0.25,
    weight: st.weight, dashArray: st.dashArray, className: classes.join(" "),
  });
  if (!layer) return null;
  const title = isZone ? `zone ${obj.id}` : `operation ${obj.id} (${obj.state}, ${obj.kind})`;
  const lines = [
    `<b>${esc(title)}</b>`, obj.name ? esc(obj.name) : "",
    `owner: ${esc(obj.owner)}`, `volume ${i}: ${esc(validity(v))}`,
    isZone ? `${esc(obj.severity)}${mayEnter ? "" : " — <b>you may not enter</b>"}` : "",
    obj.contact ? `contact: ${esc(obj.contact)}` : "",
  ];
  layer.bindTooltip(lines.filter(Boolean).join("<br>"), { sticky: true });
  return layer;
}

export function conflictText(c) {
  return `${c.reason}: ${c.explanation} — ${fmtTime(Date.parse(c.time_start))} → `
    + `${fmtTime(Date.parse(c.time_end))}, ${c.alt_lower_m}–${c.alt_upper_m} m`;
}

export function conflictMarker(c) {
  const m = L.circleMarker([c.witness.lat, c.witness.lon], {
    radius: 8, color: "#d00000", weight: 3, fillColor: "#ffdd00", fillOpacity: 0.9,
    className: "conflict-marker",
  });
  m.bindTooltip(esc(conflictText(c)), { sticky: true });
  return m;
}
