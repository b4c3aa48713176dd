// The page's side of the live bridge, loaded between htmx and its ws extension:
// - remembers the id of the last pushed notification (each frame starts with <!--n:ID-->) and
//   reconnects with it, so the bridge replays exactly what this page missed;
// - reloads the main region when the bridge says part of the gap is gone;
// - follows a pushed navigation (an accepted challenge takes the challenger into the game);
// - shows the offline banner while the socket is down.
(function () {
  "use strict";
  var lastId = null;

  htmx.createWebSocket = function (url) {
    if (lastId !== null) {
      url = /[?&]last=\d+/.test(url) ? url.replace(/([?&])last=\d+/, "$1last=" + lastId) : url + "&last=" + lastId;
    }
    return new WebSocket(url);
  };

  document.addEventListener("htmx:wsBeforeMessage", function (event) {
    var match = /^<!--n:(\d+)-->/.exec(event.detail.message);
    if (match) lastId = match[1];
  });

  document.addEventListener("htmx:wsAfterMessage", function (event) {
    if (/^<!--n:\d+--><div id="live-reload"/.test(event.detail.message)) {
      htmx.ajax("GET", location.href, { target: "#main", select: "#main", swap: "outerHTML" });
    }
    // A pushed invitation to go somewhere (an accepted challenge opens the new game).
    var navigate = document.getElementById("live-navigate");
    if (navigate && navigate.dataset.href && navigate.dataset.href.charAt(0) === "/") {
      location.assign(navigate.dataset.href);
    }
  });

  function setOffline(offline) {
    // Also on <html>, for styles (and tests) that depend on the socket being up.
    document.documentElement.dataset.live = offline ? "offline" : "online";
    var banner = document.getElementById("offline-banner");
    if (banner) banner.hidden = !offline;
  }
  document.addEventListener("htmx:wsOpen", function () { setOffline(false); });
  document.addEventListener("htmx:wsClose", function () { setOffline(true); });
  document.addEventListener("htmx:wsError", function () { setOffline(true); });
})();
