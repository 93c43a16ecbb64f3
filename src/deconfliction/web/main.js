// Entry point: the map libraries are copied from npm by `make web`; say so if they are not
// there, rather than fail with a TypeError.
if (window.L && window.topojson) {
  await import("./app.js");
} else {
  document.getElementById("error").hidden = false;
  document.getElementById("error").textContent =
    "The map libraries are missing from /web/vendor/: run `make web` and restart the server.";
}
