// Live updates of a meeting's page.
// The page works without this file: a reload shows the same.
"use strict";

(function () {
  function setText(root, name, text) {
    root.querySelectorAll('[data-live="' + name + '"]').forEach(function (el) {
      el.textContent = text;
    });
  }

  function reveal(root, name, text) {
    root.querySelectorAll('[data-live="' + name + '"]').forEach(function (el) {
      if (text) {
        el.textContent = "";
        el.appendChild(document.createTextNode(text + " "));
        var link = document.createElement("a");
        // The meeting's own page: the address shown may be that of a
        // form's answer, which is not there to reload.
        link.href = root.getAttribute("data-page") || window.location.pathname;
        link.textContent = "Reload the page";
        el.appendChild(link);
      }
      el.hidden = false;
    });
  }

  function live(root) {
    var url = root.getAttribute("data-events");
    if (!url || !window.EventSource) {
      return;
    }
    var last = root.getAttribute("data-last-event-id");
    var source = new EventSource(url + (last ? "?last_event_id=" + encodeURIComponent(last) : ""));
    var status = root.querySelector('[data-live="status"]');
    var shownStatus = status ? status.textContent : "";
    source.addEventListener("meeting", function (e) {
      var data = JSON.parse(e.data);
      if (data.status_label && data.status_label !== shownStatus) {
        shownStatus = data.status_label;
        setText(root, "status", data.status_label);
        reveal(root, "changed", "The meeting is now: " + data.status_label + ".");
      }
    });
    source.addEventListener("quorum", function (e) {
      var q = JSON.parse(e.data);
      setText(root, "present", String(q.present));
      setText(root, "by_proxy", String(q.by_proxy));
      setText(root, "represented", q.represented + " of " + q.eligible + " active members");
      var verdict = q.required === 0 ? "No quorum requirement" : (q.met ? "Quorate" : "Not quorate");
      root.querySelectorAll('[data-live="quorum"]').forEach(function (el) {
        el.textContent = "";
        var strong = document.createElement("strong");
        strong.textContent = verdict;
        el.appendChild(strong);
        if (q.required) {
          el.appendChild(document.createTextNode(" (at least " + q.required + " needed)"));
        }
      });
      setText(root, "announce", q.summary || "");
      reveal(root, "attendance-note");
    });
    source.addEventListener("ballot", function () {
      reveal(root, "changed", "A ballot has changed.");
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("meeting");
    if (root) {
      live(root);
    }
  });
})();
