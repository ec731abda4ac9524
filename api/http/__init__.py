"""HTTP plumbing below the routes: ASGI middleware, the uvicorn server and its connection deadline."""
