// Copy buttons: a <button data-copy="ID" hidden> next to a secret copies the
// text of the element with that id. Loaded as a file under the strict CSP;
// without JavaScript the buttons stay hidden and the secret is selectable
// text (and the receipt can be downloaded as a text file).
"use strict";
(function () {
  var buttons = document.querySelectorAll("button[data-copy]");
  for (var i = 0; i < buttons.length; i++) {
    (function (button) {
      var target = document.getElementById(button.getAttribute("data-copy"));
      if (!target) return;
      var label = button.textContent;
      var status = document.getElementById(button.getAttribute("aria-describedby") || "");
      function done(text) {
        button.textContent = text;
        if (status) status.textContent = text === label ? "" : text;
        setTimeout(function () { button.textContent = label; }, 3000);
      }
      function select() {
        var range = document.createRange();
        range.selectNodeContents(target);
        var sel = window.getSelection();
        sel.removeAllRanges();
        sel.addRange(range);
      }
      button.hidden = false;
      button.addEventListener("click", function () {
        var text = target.textContent.trim();
        if (navigator.clipboard && navigator.clipboard.writeText) {
          navigator.clipboard.writeText(text).then(function () { done("Copied"); }, function () {
            select();
            done("Selected: press Ctrl+C");
          });
        } else {
          select();
          done("Selected: press Ctrl+C");
        }
      });
    })(buttons[i]);
  }
})();
