// Live tracks: GET /tracks/stream (what moved, a few times a second) drawn on one canvas:
// a dot per track in its party's colour, a tick along its course, its recent trail. Updates
// are applied once per animation frame, whatever their number, so thousands of tracks
// moving every second cost a redraw or two a second, not one per report.

const TRAIL = 20;               // positions kept per track
const STALE_S = 300;            // a track silent this long (report time) is dropped

export class TrackLayer {
  constructor(L, map, colourOf) {
    this.L = L;
    this.colourOf = colourOf;
    // their own pane, above the countries, zones and operations (the overlay pane, 400)
    map.createPane("tracks").style.zIndex = "450";
    // one canvas for all; ?tracks=svg draws them as SVG elements (Leaflet's default), for
    // the benchmark's comparison
    const svg = new URLSearchParams(location.search).get("tracks") === "svg";
    this.renderer = svg ? L.svg({ padding: 0.3, pane: "tracks" })
      : L.canvas({ padding: 0.3, pane: "tracks" });
    this.group = L.layerGroup();
    this.tracks = new Map();      // id -> { rec, dot, tick, line, trail }
    this.pending = new Map();     // id -> latest record not drawn yet
    this.frame = null;
    this.newest = -Infinity;
    // for tests and the benchmark: when each batch arrived and when it was drawn
    this.stats = { received: 0, drawn: 0, lastArrival: 0, lastDrawn: 0, lags: [] };
  }

  apply(records) {
    const now = performance.now();
    for (const r of records) this.pending.set(r.track, r);
    this.stats.received += records.length;
    this.stats.lastArrival = now;
    if (this.frame === null) {
      const arrived = now;
      this.frame = requestAnimationFrame(() => this.draw(arrived));
    }
  }

  tooltip(r) {
    const alt = r.alt_m === null ? "alt ?" : `${Math.round(r.alt_m)} m`;
    const spd = r.speed_mps === null ? "" : `, ${Math.round(r.speed_mps)} m/s`;
    const hdg = r.heading_deg === null ? "" : ` hdg ${Math.round(r.heading_deg)}°`;
    const op = r.operation ? ` · ${r.operation}` : "";
    return `track ${r.track} (${r.party || "unknown"})${op}: ${alt}${spd}${hdg}, ` +
      new Date(r.t_s * 1000).toISOString().replace(".000Z", "Z");
  }

  // the end of a short tick along the course (the length grows with the speed)
  tickEnd(r) {
    if (r.heading_deg === null || !r.speed_mps) return null;
    const d = Math.min(60 * r.speed_mps, 15000);  // one minute ahead, at most 15 km
    const h = (r.heading_deg * Math.PI) / 180;
    const dLat = (d * Math.cos(h)) / 111320;
    const dLon = (d * Math.sin(h)) / (111320 * Math.max(Math.cos((r.lat * Math.PI) / 180), 0.01));
    return [r.lat + dLat, r.lon + dLon];
  }

  draw(arrived) {
    this.frame = null;
    const L = this.L;
    let n = 0;
    for (const r of this.pending.values()) {
      this.newest = Math.max(this.newest, r.t_s);
      const pos = [r.lat, r.lon];
      let t = this.tracks.get(r.track);
      const colour = this.colourOf(r.party || "unknown");
      if (!t) {
        const dot = L.circleMarker(pos, { renderer: this.renderer, pane: "tracks", radius: 4,
          weight: 1,
          color: "#222", fillColor: colour, fillOpacity: 0.95 });
        const line = L.polyline([pos], { renderer: this.renderer, pane: "tracks", color: colour,
          weight: 1.5, opacity: 0.6, interactive: false });
        const tick = L.polyline([pos, pos], { renderer: this.renderer, pane: "tracks",
          color: "#222", weight: 1, interactive: false });
        dot.bindTooltip("");
        this.group.addLayer(line).addLayer(tick).addLayer(dot);
        t = { rec: r, dot, line, tick, trail: [] };
        this.tracks.set(r.track, t);
      }
      t.rec = r;
      t.trail.push(pos);
      if (t.trail.length > TRAIL) t.trail.shift();
      t.dot.setLatLng(pos);
      t.dot.setTooltipContent(this.tooltip(r));
      t.line.setLatLngs(t.trail);
      const end = this.tickEnd(r);
      t.tick.setLatLngs(end ? [pos, end] : [pos, pos]);
      n += 1;
    }
    this.pending.clear();
    for (const [id, t] of this.tracks) {
      if (t.rec.t_s < this.newest - STALE_S) {
        this.group.removeLayer(t.dot).removeLayer(t.line).removeLayer(t.tick);
        this.tracks.delete(id);
      }
    }
    const now = performance.now();
    this.stats.drawn += n;
    this.stats.lastDrawn = now;
    this.stats.lags.push(now - arrived);
    if (this.stats.lags.length > 1000) this.stats.lags.shift();
  }

  clear() {
    this.group.clearLayers();
    this.tracks.clear();
    this.pending.clear();
    this.newest = -Infinity;
  }
}
