// The console's image viewer: zoom, rotate and full screen on every `figure.viewer` image.
// Served from the console's own origin (the CSP allows scripts from 'self' only, nothing
// inline); without it the images are plain images that link to the full file.
(function () {
  'use strict';
  function tools(figure) {
    var img = figure.querySelector('img');
    if (!img) return;
    var state = { zoom: 1, turn: 0 };
    function apply() {
      img.style.transform = 'scale(' + state.zoom + ') rotate(' + state.turn + 'deg)';
    }
    var bar = document.createElement('div');
    bar.className = 'viewer-tools';
    var what = img.getAttribute('alt') || 'image';
    var buttons = [
      ['Zoom in', function () { state.zoom = Math.min(state.zoom * 1.25, 6); apply(); }],
      ['Zoom out', function () { state.zoom = Math.max(state.zoom / 1.25, 0.5); apply(); }],
      ['Rotate', function () { state.turn = (state.turn + 90) % 360; apply(); }],
      ['Reset', function () { state.zoom = 1; state.turn = 0; apply(); }],
      ['Full screen', function () {
        if (document.fullscreenElement) { document.exitFullscreen(); }
        else if (figure.requestFullscreen) { figure.requestFullscreen(); }
      }],
    ];
    buttons.forEach(function (b) {
      var button = document.createElement('button');
      button.type = 'button';
      button.className = 'secondary';
      button.textContent = b[0];
      button.setAttribute('aria-label', b[0] + ': ' + what);
      button.addEventListener('click', b[1]);
      bar.appendChild(button);
    });
    var caption = figure.querySelector('figcaption');
    figure.insertBefore(bar, caption);
  }
  function start() {
    var figures = document.querySelectorAll('figure.viewer');
    for (var i = 0; i < figures.length; i++) tools(figures[i]);
  }
  if (document.readyState === 'loading') document.addEventListener('DOMContentLoaded', start);
  else start();
})();
