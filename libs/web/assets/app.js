// Progressive enhancement only: every action here also works as a plain form post.
(function () {
  "use strict";
  var root = document.documentElement;
  document.addEventListener("click", function (event) {
    var button = event.target.closest && event.target.closest(".theme-switch button[name=theme]");
    if (!button) return;
    event.preventDefault();
    var choice = button.value;
    // The choice is remembered in a cookie, so the server renders the same theme next time.
    document.cookie = "pitlane_theme=" + choice + "; path=/; max-age=31536000; samesite=lax";
    if (choice === "system") {
      root.removeAttribute("data-theme");
    } else {
      root.setAttribute("data-theme", choice);
    }
    document.querySelectorAll(".theme-switch button[name=theme]").forEach(function (b) {
      b.setAttribute("aria-pressed", String(b === button));
    });
  });
  // The main menu is a disclosure that works by itself; here it is only kept open on wide
  // screens, where it is a row of links (for browsers whose CSS cannot show it closed), and
  // folded again when the screen narrows.
  var menu = document.querySelector("details.site-menu");
  if (menu && window.matchMedia) {
    var wide = window.matchMedia("(min-width: 60em)");
    var follow = function () { menu.open = wide.matches; };
    follow();
    wide.addEventListener("change", follow);
  }
  // Keep the colour pickers and their text fields in step.
  document.querySelectorAll("[data-color-for]").forEach(function (picker) {
    var text = document.getElementById(picker.getAttribute("data-color-for"));
    if (!text) return;
    picker.addEventListener("input", function () { text.value = picker.value; });
    text.addEventListener("input", function () {
      if (/^#[0-9a-fA-F]{6}$/.test(text.value)) picker.value = text.value;
    });
  });
})();
// Live updates (server-sent events) for the parts of the page marked data-live. Without
// JavaScript the page is still right; it just needs a reload to show changes.
(function () {
  "use strict";
  // A page followed by a link rather than a session (a customer's repair order) names its
  // own stream.
  var own = document.querySelector("[data-events-src]");
  var source = own ? own.getAttribute("data-events-src")
    : document.body && document.body.getAttribute("data-events");
  var regions = document.querySelectorAll("[data-live]");
  if (!source || !regions.length || !window.EventSource) return;
  var topics = {};
  regions.forEach(function (el) { topics[el.getAttribute("data-live")] = true; });
  var url = source + (source.indexOf("?") < 0 ? "?" : "&") + "topics=" + Object.keys(topics).join(",");
  var events = null;
  var labels = {
    pending: "Waiting", queued: "Queued", sending: "Sending", sent: "Sent",
    dead: "Failed", suppressed: "Not sent (opted out)", cancelled: "Cancelled"
  };
  function setUnread(n) {
    document.querySelectorAll("[data-bell]").forEach(function (bell) {
      var count = bell.querySelector(".bell-count");
      count.textContent = String(n);
      count.setAttribute("data-unread", String(n));
      count.hidden = n === 0;
      bell.setAttribute("aria-label", n === 0 ? "Notifications" : "Notifications, " + n + " unread");
    });
  }
  function unread() {
    var count = document.querySelector("[data-bell] .bell-count");
    return count ? parseInt(count.getAttribute("data-unread") || "0", 10) : 0;
  }
  function onNew() { setUnread(unread() + 1); }
  function onRead(e) { setUnread(JSON.parse(e.data).unread || 0); }
  function onMessages(e) {
    var changed = JSON.parse(e.data).messages || [];
    var unseen = false;
    changed.forEach(function (m) {
      var row = document.getElementById("m-" + m.id);
      if (!row) { unseen = true; return; }
      var cell = row.querySelector("[data-status-cell]");
      if (m.status) {
        row.setAttribute("data-status", m.status);
        if (cell) cell.textContent = labels[m.status] || m.status;
      }
      if (m.delivery_status && cell) cell.textContent += " · Carrier: " + m.delivery_status;
    });
    var notice = document.getElementById("live-notice");
    if (unseen && notice) notice.hidden = false;
  }
  // Regions marked data-refresh (the calendar, the inbox, a chat) are fetched again when
  // their topic changes, and swapped in place; one fetch for a burst of events.
  // A region names the page to fetch it from (the page after a failed post is not one to
  // fetch again). An event during a fetch marks the view stale, and it is fetched once more.
  var refreshing = null;
  var stale = false;
  function refresh() {
    if (refreshing) { stale = true; return; }
    var region = document.querySelector("[data-refresh]");
    var from = (region && region.getAttribute("data-refresh")) || window.location.href;
    refreshing = setTimeout(function () {
      fetch(from, { credentials: "same-origin" })
        .then(function (r) { return r.ok ? r.text() : null; })
        .then(function (html) {
          refreshing = null;
          if (stale) { stale = false; refresh(); }
          if (!html) return;
          var fresh = new DOMParser().parseFromString(html, "text/html");
          document.querySelectorAll("[data-refresh][id]").forEach(function (el) {
            var next = fresh.getElementById(el.id);
            if (next) el.innerHTML = next.innerHTML;
          });
        })
        .catch(function () {
          refreshing = null;
          var notice = document.getElementById("live-notice");
          if (notice) notice.hidden = false;
        });
    }, 250);
  }
  var refreshed = [
    "appointment.booked", "appointment.moved", "appointment.cancelled",
    "appointment.changed", "appointment.checked_in",
    "conversation.message", "conversation.read", "conversation.assigned",
    "repair_order.opened", "repair_order.status", "repair_order.lines", "repair_order.approval",
    "job.assigned", "job.board", "job.application", "job.clock",
    "inspection.started", "inspection.rated", "inspection.photo", "inspection.completed",
    "invoice.issued", "invoice.payment", "invoice.refund", "invoice.credit", "invoice.void",
    "roadside.requested", "roadside.accepted", "roadside.assigned", "roadside.widened",
    "roadside.released", "roadside.en_route", "roadside.on_site", "roadside.working",
    "roadside.done", "roadside.towed_in", "roadside.cancelled",
    "roadside.message", "roadside.read", "roadside.work"
  ];
  function connect() {
    if (events) return;
    events = new EventSource(url);
    events.addEventListener("notification.new", onNew);
    events.addEventListener("notification.read", onRead);
    events.addEventListener("messages.updated", onMessages);
    if (document.querySelector("[data-refresh]")) {
      refreshed.forEach(function (name) { events.addEventListener(name, refresh); });
    }
    // A roadside request: its mechanic's position moves the map; when it ends, its stream
    // ends too (and is not opened again).
    events.addEventListener("roadside.position", function (e) {
      if (window.PitlaneRoadside) window.PitlaneRoadside.moved(JSON.parse(e.data));
    });
    events.addEventListener("roadside.closed", function () {
      if (events) { events.close(); events = null; }
      closed = true;
      refresh();
    });
  }
  var closed = false;
  // Close the stream when leaving the page: a stream left open (a page kept in the
  // back-forward cache, or a connection the browser drains) holds one of the browser's few
  // connections to this host, and the next pages wait for it.
  window.addEventListener("pagehide", function () {
    if (events) { events.close(); events = null; }
  });
  window.addEventListener("pageshow", function () { if (!closed) connect(); });
  connect();
})();

// A page waiting for something another system reports (a card payment's confirmation from
// Stripe) reloads itself until it is there, in case the live update came before the page
// was listening.
(function () {
  "use strict";
  var waiting = document.querySelector("[data-poll]");
  if (!waiting) return;
  var every = parseInt(waiting.getAttribute("data-poll"), 10) || 3000;
  window.setTimeout(function () { window.location.reload(); }, every);
})();

// Roadside help: the driver's position for their request and its price, the mechanic's
// phone sharing its position while on duty, and the map or drawn plan of both moving.
(function () {
  "use strict";
  var SCALES = [500, 1000, 2000, 5000, 10000, 20000, 50000, 100000, 500000];
  var POINTS = ["north", "north-east", "east", "south-east", "south", "south-west", "west", "north-west"];
  function scaleFor(d) {
    for (var i = 0; i < SCALES.length; i++) if (SCALES[i] >= d) return SCALES[i];
    return SCALES[SCALES.length - 1];
  }
  function distanceText(m) {
    return m < 1000 ? Math.round(m / 10) * 10 + " m" : (m / 1000).toFixed(1) + " km";
  }
  function caption(d, bearing, eta) {
    if (d == null || bearing == null) return "Waiting for the mechanic's position.";
    if (d < 50) return "The mechanic is here.";
    var point = POINTS[Math.floor(((bearing % 360 + 360) % 360 + 22.5) / 45) % 8];
    var soon = eta == null ? "" : eta <= 1 ? ", about a minute away" : ", about " + eta + " minutes away";
    return "The mechanic is " + distanceText(d) + " " + point + " of you" + soon + ".";
  }
  // Leaflet, when the page has tiles and the script has loaded.
  function leafletOf(figure) {
    var box = figure.querySelector("[data-leaflet]");
    if (!box || !window.L) return null;
    if (box._map) return box._map;
    var lat = parseFloat(figure.getAttribute("data-driver-lat") || figure.getAttribute("data-centre-lat"));
    var lon = parseFloat(figure.getAttribute("data-driver-lon") || figure.getAttribute("data-centre-lon"));
    if (isNaN(lat) || isNaN(lon)) return null;
    var map = window.L.map(box).setView([lat, lon], 13);
    window.L.tileLayer(figure.getAttribute("data-tiles"), {
      maxZoom: 19, attribution: figure.getAttribute("data-attribution") || ""
    }).addTo(map);
    window.L.circleMarker([lat, lon], { radius: 8, color: "#b00020" }).addTo(map).bindTooltip(figure.hasAttribute("data-plan") ? "You" : "Branch");
    var marks = JSON.parse(figure.getAttribute("data-marks") || "[]");
    marks.forEach(function (m) {
      window.L.circleMarker([m.lat, m.lon], { radius: 7, color: m.kind === "mechanic" ? "#0b57d0" : "#b00020" }).addTo(map).bindTooltip(m.label);
    });
    var mlat = parseFloat(figure.getAttribute("data-mechanic-lat"));
    var mlon = parseFloat(figure.getAttribute("data-mechanic-lon"));
    if (!isNaN(mlat) && !isNaN(mlon)) {
      box._mechanic = window.L.circleMarker([mlat, mlon], { radius: 8, color: "#0b57d0" }).addTo(map).bindTooltip("Mechanic");
    }
    box._map = map;
    return map;
  }
  function drawAll() {
    document.querySelectorAll("[data-plan], [data-overview]").forEach(leafletOf);
  }
  window.addEventListener("load", drawAll);
  // The mechanic moved: the plan (or map) and the caption follow.
  function moved(p) {
    var figure = document.querySelector("[data-plan]");
    if (!figure) return;
    var line = figure.querySelector("[data-plan-line]");
    var mark = figure.querySelector("[data-plan-mechanic]");
    if (p.distance_m != null && p.bearing_deg != null && mark) {
      var scale = scaleFor(Math.max(p.distance_m, 1));
      var r = Math.min(p.distance_m / scale, 1.05) * 120;
      var rad = p.bearing_deg * Math.PI / 180;
      var x = (150 + r * Math.sin(rad)).toFixed(1), y = (150 - r * Math.cos(rad)).toFixed(1);
      mark.setAttribute("transform", "translate(" + x + " " + y + ")");
      mark.removeAttribute("visibility");
      if (line) { line.setAttribute("x2", x); line.setAttribute("y2", y); line.removeAttribute("visibility"); }
      var label = figure.querySelector("[data-plan-scale]");
      if (label) label.textContent = scale < 1000 ? scale + " m" : scale / 1000 + " km";
    }
    figure.setAttribute("data-mechanic-lat", p.lat);
    figure.setAttribute("data-mechanic-lon", p.lon);
    var box = figure.querySelector("[data-leaflet]");
    var map = leafletOf(figure);
    if (map && box) {
      if (box._mechanic) box._mechanic.setLatLng([p.lat, p.lon]);
      else box._mechanic = window.L.circleMarker([p.lat, p.lon], { radius: 8, color: "#0b57d0" }).addTo(map).bindTooltip("Mechanic");
    }
    var text = figure.querySelector("[data-plan-caption]");
    if (text) text.textContent = caption(p.distance_m, p.bearing_deg, p.eta_minutes);
  }
  window.PitlaneRoadside = { moved: moved };

  // The driver's position, with their consent, and the price for it.
  var ask = document.querySelector("[data-roadside-ask]");
  if (ask && navigator.geolocation) {
    var locate = ask.querySelector("[data-locate]");
    var status = ask.querySelector("[data-locate-status]");
    var lat = ask.querySelector("[name=latitude]"), lon = ask.querySelector("[name=longitude]");
    var quoteBox = document.getElementById("roadside-quote");
    var quote = function () {
      var branch = ask.querySelector("[name=branch_id]");
      if (!branch || !lat.value || !lon.value) return;
      var url = ask.getAttribute("data-quote-src") + "?branch_id=" + encodeURIComponent(branch.value) +
        "&latitude=" + encodeURIComponent(lat.value) + "&longitude=" + encodeURIComponent(lon.value);
      fetch(url, { credentials: "same-origin" }).then(function (r) { return r.ok ? r.json() : null; }).then(function (q) {
        if (!q || !quoteBox) return;
        var money = function (minor) {
          return new Intl.NumberFormat(undefined, { style: "currency", currency: q.currency }).format(minor / 100);
        };
        var p = quoteBox.querySelector("[data-in-area]") || document.createElement("p");
        if (!p.parentNode) quoteBox.appendChild(p);
        if (q.in_area) {
          p.setAttribute("data-in-area", "yes");
          p.textContent = "You are inside our area, " + distanceText(q.distance_m) + " from us. This call-out: " +
            money(q.price_minor) + (q.eta_minutes != null ? ". A mechanic could be with you in about " + q.eta_minutes + " minutes." : ".");
        } else {
          p.setAttribute("data-in-area", "no");
          p.textContent = "You are outside our area (" + distanceText(q.distance_m) + " away)." +
            (q.branch_phone ? " Call us on " + q.branch_phone + "." : "");
        }
      }).catch(function () {});
    };
    if (locate) {
      locate.hidden = false;
      locate.addEventListener("click", function () {
        status.textContent = "Finding you…";
        navigator.geolocation.getCurrentPosition(function (pos) {
          lat.value = pos.coords.latitude.toFixed(6);
          lon.value = pos.coords.longitude.toFixed(6);
          status.textContent = "Found you (to about " + Math.round(pos.coords.accuracy) + " m).";
          quote();
        }, function (err) {
          status.textContent = err.code === 1
            ? "Your browser did not share your position; type where you are instead."
            : "Your position is not available; type where you are instead.";
        }, { enableHighAccuracy: true, timeout: 15000, maximumAge: 60000 });
      });
    }
    [lat, lon].forEach(function (f) { f.addEventListener("change", quote); });
  }

  // The mechanic's phone: its position every few seconds while the page is open and on duty
  // (at most one every 5 s; the server keeps the latest and samples a trail).
  var sharing = document.querySelector("[data-share-position]");
  var last = null;
  if (sharing && navigator.geolocation) {
    var target = sharing.getAttribute("data-share-position");
    var note = document.querySelector("[data-share-status]");
    var sentAt = 0, waiting = null;
    var send = function () {
      waiting = null;
      if (!last) return;
      sentAt = Date.now();
      fetch(target, {
        method: "POST", credentials: "same-origin",
        headers: { "Content-Type": "application/json" },
        body: JSON.stringify({ latitude: last.latitude, longitude: last.longitude })
      }).then(function (r) { return r.ok ? r.json() : null; }).then(function (t) {
        if (note && t && t.sharing_with) {
          note.textContent = "Sharing your position with the driver" +
            (t.distance_m != null ? ": " + distanceText(t.distance_m) + " to go" : "") + ".";
        }
      }).catch(function () {});
    };
    navigator.geolocation.watchPosition(function (pos) {
      last = { latitude: pos.coords.latitude, longitude: pos.coords.longitude };
      var wait = 5000 - (Date.now() - sentAt);
      if (wait <= 0) send(); else if (!waiting) waiting = setTimeout(send, wait);
    }, function () {
      if (note) note.textContent = "Your phone is not sharing its position; the workshop cannot see where you are.";
    }, { enableHighAccuracy: true, maximumAge: 5000 });
  }
  // A step (arriving) is stamped with where the phone is.
  document.querySelectorAll("[data-stamp-position]").forEach(function (form) {
    form.addEventListener("submit", function () {
      if (!last) return;
      form.querySelector("[name=latitude]").value = last.latitude;
      form.querySelector("[name=longitude]").value = last.longitude;
    });
  });
})();
