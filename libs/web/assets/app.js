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
