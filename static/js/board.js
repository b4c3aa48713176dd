// Keyboard play on the game board (a rendering hook; the board works without it, cell by cell with Tab):
// - one cell of the board is in the tab order; arrow keys, Home/End and PageUp/PageDown move
//   between cells, Enter or Space plays on an empty one (it is a real form button);
// - when a pushed move replaces the board or some of its cells, the cell that had focus gets it back.
(function () {
  "use strict";
  var focused = null; // index of the board cell that had the focus when a swap began

  function cells(board) { return board.querySelectorAll(".board-grid > .cell"); }
  function size(board) { return /board-19/.test(board.className) ? 19 : 15; }

  function rove(board, index) {
    var all = cells(board);
    if (!all.length) return;
    if (index === null || index < 0 || index >= all.length) {
      var last = board.querySelector(".cell.last");
      index = last ? Array.prototype.indexOf.call(all, last) : Math.floor(all.length / 2);
    }
    for (var i = 0; i < all.length; i++) all[i].tabIndex = i === index ? 0 : -1;
    return all[index];
  }

  function prepare(board) {
    var restore = focused;
    focused = null;
    var cell = rove(board, restore);
    // The old board took the focus away with it; give it back to the same point.
    var active = document.activeElement;
    if (restore !== null && cell && (!active || active === document.body || !active.isConnected)) cell.focus();
  }

  document.addEventListener("keydown", function (event) {
    var cell = event.target;
    if (!cell.classList || !cell.classList.contains("cell")) return;
    var board = cell.closest(".board");
    if (!board) return;
    var all = cells(board), n = size(board), index = Array.prototype.indexOf.call(all, cell), row = Math.floor(index / n), next;
    switch (event.key) {
      case "ArrowLeft": next = index % n ? index - 1 : index; break;
      case "ArrowRight": next = index % n < n - 1 ? index + 1 : index; break;
      case "ArrowUp": next = index >= n ? index - n : index; break;
      case "ArrowDown": next = index + n < all.length ? index + n : index; break;
      case "Home": next = event.ctrlKey ? 0 : row * n; break;
      case "End": next = event.ctrlKey ? all.length - 1 : row * n + n - 1; break;
      case "PageUp": next = index % n; break;
      case "PageDown": next = all.length - n + index % n; break;
      default: return;
    }
    event.preventDefault();
    rove(board, next).focus();
  });

  document.addEventListener("focusin", function (event) {
    var cell = event.target, board = cell.closest && cell.closest(".board");
    if (board && cell.classList.contains("cell")) rove(board, Array.prototype.indexOf.call(cells(board), cell));
  });

  // Just before anything is swapped in (a push, or the answer to our own move), note whether a
  // board cell has the focus; the swap removes that cell, and `prepare` gives the focus back.
  function noteFocus() {
    var cell = document.activeElement, board = cell && cell.closest && cell.closest("#board");
    focused = board && cell.classList.contains("cell") ? Array.prototype.indexOf.call(cells(board), cell) : focused;
  }
  ["htmx:beforeSwap", "htmx:oobBeforeSwap", "htmx:wsBeforeMessage"].forEach(function (name) {
    document.addEventListener(name, noteFocus);
  });

  // A push replaces the whole board, or only the cells that changed: either way, re-rove the board.
  function prepareAll(root) {
    var board = root.id === "board" ? root : (root.closest && root.closest("#board")) || (root.querySelector && root.querySelector("#board"));
    if (board) prepare(board);
  }
  document.addEventListener("htmx:load", function (event) { prepareAll(event.target); });
  // Right after each swap too, not only once htmx has settled: a key pressed in between finds the focus.
  ["htmx:afterSwap", "htmx:oobAfterSwap"].forEach(function (name) {
    document.addEventListener(name, function () {
      var board = document.getElementById("board");
      if (board && focused !== null) prepare(board);
    });
  });
  document.addEventListener("DOMContentLoaded", function () { prepareAll(document); });
})();
