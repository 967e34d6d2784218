// Osk's progressive enhancements. Every page works without this file.
"use strict";

document.addEventListener("DOMContentLoaded", function () {
  // Put keyboard and screen-reader focus on an error summary when a form
  // comes back with problems, so they are announced at once.
  var summary = document.querySelector("[data-error-summary]");
  if (summary) {
    summary.focus();
  }
});
