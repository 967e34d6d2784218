// Live turnout and results on a ballot's page, from the meeting's event
// stream. The page works without this file: a reload shows the same.
"use strict";

(function () {
  function setText(root, name, text) {
    root.querySelectorAll('[data-live="' + name + '"]').forEach(function (el) {
      el.textContent = text;
    });
  }

  function reveal(root, ballot, text) {
    root.querySelectorAll('[data-live="changed"]').forEach(function (el) {
      el.textContent = "";
      el.appendChild(document.createTextNode(text + " "));
      var link = document.createElement("a");
      // The ballot's own page: the address shown may be that of a vote
      // form's answer, which is not there to reload.
      link.href = "/ballots/" + ballot;
      link.textContent = "Reload the page to see it";
      el.appendChild(link);
      el.hidden = false;
    });
  }

  // The turnout changes with every vote: it is shown, not announced, or a
  // screen reader would read it out every second while its user votes.
  function live(root) {
    var ballot = Number(root.getAttribute("data-ballot"));
    if (!ballot || !window.Osk) {
      return;
    }
    window.Osk.follow(root, {
      ballot: function (data) {
        if (data.ballot_id !== ballot) {
          return;
        }
        setText(root, "turnout", data.voted + " of " + data.eligible);
        if (data.change === "closed" || data.change === "decided") {
          setText(root, "status", data.change === "decided" || (data.result && !data.result.awaiting_casting_vote)
            ? "Closed and decided" : "Closed: a tie, waiting for the chair's casting vote");
          setText(root, "announce", data.summary || "");
          reveal(root, ballot, data.summary || "The ballot has changed.");
        }
      }
    });
  }

  document.addEventListener("DOMContentLoaded", function () {
    var root = document.getElementById("ballot");
    if (root) {
      live(root);
    }
  });
})();
