/* 佐证材料：把拖入的文件放进文件选择框（表单本身不依赖脚本），列出已选文件；
   上传会刷新页面，主表单有未保存的修改时先提醒；每行的“上传”在旁边的小窗口打开。 */
(function () {
  "use strict";
  function describe(input, chosen) {
    var names = [];
    for (var i = 0; i < input.files.length; i++) { names.push(input.files[i].name); }
    chosen.textContent = names.length ? "已选择 " + names.length + " 个文件：" + names.join("、") : "";
  }
  function dirtyTracker() {
    var form = document.querySelector("#content-main form:not(.evidence-upload)");
    var state = { dirty: false };
    if (form) {
      form.addEventListener("input", function () { state.dirty = true; });
      form.addEventListener("change", function () { state.dirty = true; });
    }
    return state;
  }
  function setUp() {
    var state = dirtyTracker();
    document.querySelectorAll("form.evidence-upload").forEach(function (form) {
      var zone = form.querySelector(".evidence-drop");
      var input = form.querySelector("input[type=file]");
      var chosen = form.querySelector(".evidence-chosen");
      input.addEventListener("change", function () { describe(input, chosen); });
      ["dragenter", "dragover"].forEach(function (name) {
        zone.addEventListener(name, function (event) {
          event.preventDefault();
          zone.classList.add("evidence-dragging");
        });
      });
      ["dragleave", "dragend"].forEach(function (name) {
        zone.addEventListener(name, function () { zone.classList.remove("evidence-dragging"); });
      });
      zone.addEventListener("drop", function (event) {
        event.preventDefault();
        zone.classList.remove("evidence-dragging");
        if (event.dataTransfer && event.dataTransfer.files.length) {
          input.files = event.dataTransfer.files;
          describe(input, chosen);
        }
      });
      form.addEventListener("submit", function (event) {
        if (state.dirty && !window.confirm("页面上的表单有未保存的修改，上传佐证材料会刷新页面，未保存的修改将丢失。仍要上传吗？")) {
          event.preventDefault();
        }
      });
    });
    document.querySelectorAll("a[data-evidence-popup]").forEach(function (link) {
      link.addEventListener("click", function (event) {
        var opened = window.open(link.href, "evidence", "width=1000,height=640,scrollbars=yes,resizable=yes");
        if (opened) { event.preventDefault(); opened.focus(); }
      });
    });
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", setUp);
  } else {
    setUp();
  }
})();
