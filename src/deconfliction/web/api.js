// The HTTP API as the logged-in party: every call sends the session's JWT; every failure is
// an ApiError carrying the API's own code and message.

export class ApiError extends Error {
  constructor(status, body) {
    super(`${body.code}: ${body.message}`);
    this.status = status;
    this.code = body.code;
    this.body = body;
  }
}

async function parse(r) {
  const text = await r.text();
  try {
    return text ? JSON.parse(text) : null;
  } catch {
    return { code: `HTTP_${r.status}`, message: text.slice(0, 200) };
  }
}

export class Api {
  constructor(token) {
    this.token = token;
  }

  async call(method, path, body) {
    const headers = { Authorization: `Bearer ${this.token}` };
    if (body !== undefined) headers["Content-Type"] = "application/json";
    const r = await fetch(path, {
      method, headers, cache: "no-store",
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const data = await parse(r);
    if (!r.ok) {
      throw new ApiError(r.status, data ?? { code: `HTTP_${r.status}`, message: r.statusText });
    }
    return data;
  }

  get(path) { return this.call("GET", path); }
  post(path, body) { return this.call("POST", path, body); }
}

// Log in: exchange the party's API token for a short-lived JWT (POST /token). Only the JWT is
// kept (sessionStorage); its subject is the party.
export async function login(apiToken) {
  const r = await fetch("/token", {
    method: "POST", headers: { Authorization: `Bearer ${apiToken}` }, cache: "no-store",
  });
  const data = await parse(r);
  if (!r.ok) throw new ApiError(r.status, data ?? { code: `HTTP_${r.status}`, message: "" });
  return session(data.token);
}

export function session(jwt) {
  const part = jwt.split(".")[1] ?? "";
  const claims = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/")));
  return { token: jwt, party: claims.sub, exp: claims.exp * 1000 };
}

// Server-Sent Events from GET /events (the party's messages), read with fetch streaming so
// that the token travels in the Authorization header (EventSource cannot send one).
// Reconnects with Last-Event-ID.
export function listen(api, after, onMessage, onState) {
  return stream(api, "/events", after, onMessage, onState);
}

// Any of the service's event streams (/events, /tracks/stream): each event's data, parsed.
export function stream(api, path, after, onMessage, onState) {
  let stopped = false;
  let ctrl = null;
  let lastId = String(after);

  async function once() {
    ctrl = new AbortController();
    const r = await fetch(path, {
      headers: { Authorization: `Bearer ${api.token}`, Accept: "text/event-stream",
                 "Last-Event-ID": lastId },
      signal: ctrl.signal, cache: "no-store",
    });
    if (!r.ok) throw new ApiError(r.status, await parse(r) ?? { code: `HTTP_${r.status}` });
    onState(true);
    const reader = r.body.pipeThrough(new TextDecoderStream()).getReader();
    let buf = "";
    for (;;) {
      const { value, done } = await reader.read();
      if (done) return;
      buf += value.replace(/\r\n/g, "\n");
      let end;
      while ((end = buf.indexOf("\n\n")) >= 0) {
        const block = buf.slice(0, end);
        buf = buf.slice(end + 2);
        let data = "";
        for (const line of block.split("\n")) {
          if (line.startsWith("id:")) lastId = line.slice(3).trim();
          else if (line.startsWith("data:")) data += line.slice(5).trim();
        }
        if (data) onMessage(JSON.parse(data));
      }
    }
  }

  (async () => {
    while (!stopped) {
      try {
        await once();
      } catch (err) {
        if (stopped) return;
        if (err instanceof ApiError && err.status === 401) { onState(false, err); return; }
      }
      onState(false);
      if (!stopped) await new Promise((ok) => setTimeout(ok, 2000));
    }
  })();
  return () => { stopped = true; ctrl?.abort(); };
}
