// 打印报表: the toolbar's 打印 button (a file, not inline script, so a strict CSP still allows it).
document.addEventListener("DOMContentLoaded", function () {
  var button = document.getElementById("print-button");
  if (button) {
    button.addEventListener("click", function () { window.print(); });
  }
});
