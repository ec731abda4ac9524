"use strict";

// Swagger UI over this service's own OpenAPI description; loaded after swagger-ui-bundle.js (both defer).
window.ui = SwaggerUIBundle({
  url: "/openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
});
