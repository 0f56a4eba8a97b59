/*
 * The front door's reference page (GET /docs/<service>): Swagger UI (swagger-ui-dist, served by this server) over the
 * service's spec as loaded, with "try it" sent to the server that served the page. Kept a file of its own because
 * the page's Content-Security-Policy allows no inline script.
 */
(function () {
  'use strict';
  var body = document.body;
  var specUrl = body.getAttribute('data-spec');
  var server = body.getAttribute('data-server') || window.location.origin;
  var mode = body.getAttribute('data-mode') || 'server';
  var status = document.getElementById('front-door-status');

  function fail(message) {
    status.textContent = message;
    status.hidden = false;
  }

  fetch(specUrl, { headers: { Accept: 'application/json' } })
    .then(function (r) {
      if (!r.ok) throw new Error(specUrl + ' answered ' + r.status);
      return r.json();
    })
    .then(function (spec) {
      // "try it" goes to this deployment whatever the spec's servers say
      spec.servers = [{ url: server, description: 'this ' + mode }];
      window.ui = SwaggerUIBundle({
        spec: spec,
        dom_id: '#swagger-ui',
        deepLinking: true,
        displayOperationId: true,
        displayRequestDuration: true,
        // no badge fetched from validator.swagger.io: nothing leaves this machine
        validatorUrl: null,
        presets: [SwaggerUIBundle.presets.apis],
        layout: 'BaseLayout',
      });
    })
    .catch(function (e) {
      fail('The spec could not be loaded: ' + e.message);
    });
})();
