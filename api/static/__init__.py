"""The web page of the service: index.html, app.js and style.css, served by api.routes.page."""
