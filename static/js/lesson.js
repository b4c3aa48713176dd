// The lesson page's rendering hook: math ($…$ and $$…$$) is typeset with KaTeX on load and in every
// fragment htmx swaps in afterwards (pushed chat lines, the exercise set). Board diagrams come from
// the server as HTML and need nothing here.
(function () {
  "use strict";
  var options = {
    delimiters: [{ left: "$$", right: "$$", display: true }, { left: "$", right: "$", display: false }],
    throwOnError: false,
  };

  function typeset(root) {
    if (window.renderMathInElement && root && root.nodeType === 1) window.renderMathInElement(root, options);
  }

  document.addEventListener("htmx:load", function (event) { typeset(event.target); });
  document.addEventListener("DOMContentLoaded", function () { typeset(document.getElementById("main")); });
})();
