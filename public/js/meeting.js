// Live updates of a meeting's page.
// The page works without this file: a reload shows the same.
"use strict";

(function () {
  function setText(root, name, text) {
    root.querySelectorAll('[data-live="' + name + '"]').forEach(function (el) {
      el.textContent = text;
    });
  }

  // announce writes a notice into the page's live region of that name,
  // which is in the page, empty, from the start: a screen reader reads
  // what is added to it, where a notice merely unhidden goes unsaid.
  function announce(root, name, className, parts) {
    root.querySelectorAll('[data-live="' + name + '"]').forEach(function (region) {
      var p = document.createElement("p");
      p.className = className;
      parts.forEach(function (part) {
        if (typeof part === "string") {
          p.appendChild(document.createTextNode(part));
          return;
        }
        var link = document.createElement("a");
        // The page's own address: the one shown may be that of a form's
        // answer, which is not there to reload.
        link.href = root.getAttribute("data-page") || window.location.pathname;
        link.textContent = part.link;
        p.appendChild(link);
      });
      region.textContent = "";
      region.appendChild(p);
    });
  }

  function changed(root, text) {
    announce(root, "changed", "notice", [text + " ", { link: "Reload the page" }]);
  }

  function live(root) {
    if (!window.Osk) {
      return;
    }
    var status = root.querySelector('[data-live="status"]');
    var shownStatus = status ? status.textContent : "";
    var listChanged = false;
    window.Osk.follow(root, {
      meeting: function (data) {
        if (data.status_label && data.status_label !== shownStatus) {
          shownStatus = data.status_label;
          setText(root, "status", data.status_label);
          changed(root, "The meeting is now: " + data.status_label + ".");
        }
      },
      quorum: function (q) {
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
        if (!listChanged) {
          listChanged = true;
          announce(root, "attendance-note", "muted", ["The list changed: ", { link: "reload it" }, "."]);
        }
      },
      ballot: function (data) {
        // Each vote changes the turnout, which this page does not show.
        if (data.change !== "turnout") {
          changed(root, data.summary || "A ballot has changed.");
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("meeting");
    if (root) {
      live(root);
    }
  });
})();
