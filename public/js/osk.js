// Osk's progressive enhancements. Every page works without this file.
"use strict";

(function () {
  // A table too wide for the screen scrolls within itself (osk.css). Not
  // every browser lets the keyboard reach such a scroll container, so it
  // becomes a tab stop, named by its caption, while it scrolls.
  function focusableScrollers() {
    document.querySelectorAll("table").forEach(function (table) {
      if (table.scrollWidth > table.clientWidth) {
        table.setAttribute("tabindex", "0");
      } else {
        table.removeAttribute("tabindex");
      }
    });
  }

  // A second click or Enter before the answer arrives would send a form
  // again, and make a second motion or meeting. Once a form is sent, it is
  // marked busy and sends nothing more until the page changes. Its buttons
  // are not disabled: a disabled button would not send its own name and
  // value with the form.
  function sendOnce(event) {
    var form = event.target;
    if (!(form instanceof HTMLFormElement) || form.method !== "post" || event.defaultPrevented) {
      return;
    }
    if (form.getAttribute("aria-busy") === "true") {
      event.preventDefault();
      return;
    }
    form.setAttribute("aria-busy", "true");
    form.querySelectorAll("button, input[type=submit], input[type=image]").forEach(function (button) {
      button.setAttribute("aria-disabled", "true");
    });
  }

  // A page restored by Back from the browser's cache comes as it was left,
  // busy: its forms may be sent again.
  function release() {
    document.querySelectorAll("form[aria-busy=true]").forEach(function (form) {
      form.removeAttribute("aria-busy");
      form.querySelectorAll("[aria-disabled=true]").forEach(function (button) {
        button.removeAttribute("aria-disabled");
      });
    });
  }

  // Add the viewer's own time to each moment of a meeting
  // (views/meetings/_time.html), when their zone is not the meeting's. It
  // joins the note in brackets after the time, "(zone; UTC)", rather than
  // following it as a sentence of its own: the page's sentence goes on
  // after the note, often with a comma or a full stop.
  function localTimes() {
    var viewerZone;
    try {
      viewerZone = Intl.DateTimeFormat().resolvedOptions().timeZone;
    } catch (e) {
      return;
    }
    var format = new Intl.DateTimeFormat(undefined, {
      weekday: "long", day: "numeric", month: "long", year: "numeric",
      hour: "2-digit", minute: "2-digit", timeZoneName: "short"
    });
    document.querySelectorAll("time[data-local-time]").forEach(function (el) {
      if (!viewerZone || el.getAttribute("data-zone") === viewerZone) {
        return;
      }
      var when = new Date(el.getAttribute("datetime"));
      if (isNaN(when.getTime())) {
        return;
      }
      var note = el.nextElementSibling;
      if (!note || !/\)$/.test(note.textContent)) {
        return;
      }
      var span = document.createElement("span");
      span.className = "local-time";
      span.textContent = "your time: " + format.format(when);
      note.textContent = note.textContent.slice(0, -1) + "; ";
      note.appendChild(span);
      note.appendChild(document.createTextNode(")"));
    });
  }

  // A field whose purpose follows a choice on its form, such as a name that
  // is a person's or an organisation's, tells the browser's autofill the
  // purpose of the choice made (views/members/_field.html).
  function autocompleteFollows(event) {
    var choice = event.target;
    if (!(choice instanceof HTMLInputElement) || !choice.checked || !choice.form || !choice.hasAttribute("data-autocomplete")) {
      return;
    }
    choice.form.querySelectorAll("[data-autocomplete-from]").forEach(function (field) {
      if (field.getAttribute("data-autocomplete-from") === choice.name) {
        field.setAttribute("autocomplete", choice.getAttribute("data-autocomplete"));
      }
    });
  }

  // follow keeps a page's event stream open (root's data-events, from its
  // data-last-event-id), passing each named event to its listener. The
  // browser reconnects by itself after a dropped connection, but gives up
  // for good on any answer other than 200: a database outage, an instance
  // restarting, a proxy's 502 during a deploy. Then, after a pause that
  // grows to half a minute or so (with some chance in it, so that a
  // restarted instance is not met by every page at once), the meeting is
  // asked for: once it answers, the stream is opened again from the last
  // event seen. An answer that the reader is signed out or may no longer
  // see the meeting ends the trying. The page's connection notice says
  // which.
  function follow(root, listeners) {
    var url = root.getAttribute("data-events");
    if (!url || !window.EventSource) {
      return;
    }
    var last = root.getAttribute("data-last-event-id");
    var delay = 1000;
    var paused = false;
    function notice(text) {
      root.querySelectorAll('[data-live="connection"]').forEach(function (el) {
        el.textContent = text;
      });
    }
    function open() {
      var source = new EventSource(url + (last ? "?last_event_id=" + encodeURIComponent(last) : ""));
      source.addEventListener("open", function () {
        delay = 1000;
        if (paused) {
          paused = false;
          notice("Live updates are back.");
        }
      });
      source.addEventListener("error", function () {
        if (source.readyState !== EventSource.CLOSED) {
          return;
        }
        if (!paused) {
          paused = true;
          notice("Live updates are paused: the connection to Osk was lost. Trying again; reloading the page shows what has changed.");
        }
        retry();
      });
      Object.keys(listeners).forEach(function (name) {
        source.addEventListener(name, function (e) {
          if (e.lastEventId) {
            last = e.lastEventId;
          }
          listeners[name](JSON.parse(e.data));
        });
      });
    }
    function retry() {
      window.setTimeout(probe, delay * (1 + Math.random() / 2));
      delay = Math.min(delay * 2, 30000);
    }
    // The meeting itself (the stream's address without "/events") says
    // whether the stream would be refused for good, at no stream's cost.
    function probe() {
      if (!window.fetch) {
        open();
        return;
      }
      window.fetch(url.replace(/\/events$/, ""), { credentials: "same-origin", headers: { Accept: "application/json" } }).then(function (res) {
        if (res.status === 401) {
          notice("Live updates have stopped: you are signed out. Sign in again and reload the page.");
        } else if (res.status === 403 || res.status === 404) {
          notice("Live updates have stopped: you can no longer see this meeting. Reload the page.");
        } else if (res.ok) {
          open();
        } else {
          retry();
        }
      }, retry);
    }
    open();
  }
  window.Osk = { follow: follow };

  document.addEventListener("submit", sendOnce);
  document.addEventListener("change", autocompleteFollows);
  window.addEventListener("pageshow", release);
  window.addEventListener("resize", focusableScrollers);

  document.addEventListener("DOMContentLoaded", function () {
    focusableScrollers();
    localTimes();
    // Put keyboard and screen-reader focus on an error summary when a form
    // comes back with problems, so they are announced at once.
    var summary = document.querySelector("[data-error-summary]");
    if (summary) {
      summary.focus();
    }
  });
})();
