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
    "invoice.issued", "invoice.payment", "invoice.refund", "invoice.credit", "invoice.void"
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
  }
  // Close the stream when leaving the page: a stream left open (a page kept in the
  // back-forward cache, or a connection the browser drains) holds one of the browser's few
  // connections to this host, and the next pages wait for it.
  window.addEventListener("pagehide", function () {
    if (events) { events.close(); events = null; }
  });
  window.addEventListener("pageshow", connect);
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
