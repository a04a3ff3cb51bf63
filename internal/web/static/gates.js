// Gate pages: the live dashboard follows the page-session stream, which
// sends the whole board rendered by the server after each scan. Without
// it the page still shows the numbers as of its loading.
(function () {
  "use strict";

  var board = document.querySelector("[data-gates-live]");
  if (!board || !window.EventSource) return;
  var state = document.getElementById("live-state");
  var mark = function (on) {
    if (!state) return;
    state.classList.toggle("on", on);
    state.textContent = state.getAttribute(on ? "data-when-on" : "data-when-off");
  };
  var source = new EventSource(board.getAttribute("data-gates-live"));
  source.addEventListener("open", function () { mark(true); });
  // EventSource reconnects by itself; a stream that ended (it lasts half
  // an hour, then is renewed) or a network loss only shows as "connecting".
  source.addEventListener("error", function () { mark(false); });
  source.addEventListener("board", function (e) {
    // The board is html/template output of this origin: its text is
    // escaped there, and it holds no scripts.
    board.innerHTML = e.data;
    mark(true);
  });
})();
