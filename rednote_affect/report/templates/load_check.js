// Sets data-figures-total / data-figures-loaded on <body> once every image has had its chance to decode; an
// automated check (headless Chromium) reads them from the dumped DOM.
window.addEventListener("load", function () {
  var images = Array.prototype.slice.call(document.querySelectorAll("img.report-figure"));
  var loaded = images.filter(function (image) { return image.complete && image.naturalWidth > 0; });
  document.body.setAttribute("data-figures-total", String(images.length));
  document.body.setAttribute("data-figures-loaded", String(loaded.length));
});
